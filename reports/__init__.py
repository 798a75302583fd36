"""Account reporting: the account manager's dashboard, partner health charts,
the quarterly account review PDF, customer ratings, thank-you notes, the weekly
digest and CSV exports.

The core never imports this package; :func:`init_app` adds the pages, the case
panels, the digest tick job and the demo seeder. Every figure shown anywhere
comes from :mod:`reports.queries`, so page, PDF and digest always agree.
"""

from __future__ import annotations

from flask import Flask

from casemgr.registry import Registry


def init_app(app: Flask, registry: Registry) -> None:
    from reports.api import blp as api_blp
    from reports.demo import seed_demo
    from reports.digest import digest_tick
    from reports.views import bp, rating_panel, thanks_panel

    app.register_blueprint(bp)
    registry.home_pages["account_manager"] = "reports.home"
    registry.case_panels += [rating_panel, thanks_panel]
    registry.tick_jobs.append(digest_tick)
    registry.api_blueprints.append(api_blp)
    registry.demo_seeders.append(seed_demo)
