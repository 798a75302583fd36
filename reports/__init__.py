"""Account reporting: the account manager's dashboard, partner health charts,
the quarterly account review PDF, customer ratings, thank-you notes, the weekly
digest and CSV exports.

The core never imports this package; :func:`init_app` adds the pages, the case
panels, the digest tick job and the demo seeder. Every figure shown anywhere
comes from :mod:`reports.queries`, so page, PDF and digest always agree.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casemgr.panels import register_case_panel
    from reports.demo import seed_demo
    from reports.digest import digest_tick
    from reports.views import bp, rating_panel, thanks_panel

    app.register_blueprint(bp)
    app.extensions.setdefault("casemgr.home_pages", {})["account_manager"] = "reports.home"
    register_case_panel(app, rating_panel)
    register_case_panel(app, thanks_panel)
    app.extensions.setdefault("casemgr.tick_jobs", []).append(digest_tick)
    app.extensions.setdefault("casemgr.demo_seeders", []).append(seed_demo)
