"""RMA (return merchandise authorisation): replacement parts, shipments, field dispatch,
installation into the asset's component list, the defective return and its analysis.

The core never imports this package; :func:`init_app` adds the pages, the case panel,
the CLI, the demo RMAs, and reports pending returns to the escalation ladder.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casemgr.panels import register_case_panel
    from rma.cli import rma_group
    from rma.views import bp, case_panel

    app.config.setdefault("RMA_RETURN_DAYS", 10)
    app.register_blueprint(bp)
    app.extensions.setdefault("casemgr.home_pages", {})["field_engineer"] = "rma.my_dispatches"
    register_case_panel(app, case_panel)
    app.cli.add_command(rma_group)
    # Overdue returns go through the escalation ladder (its ``return_overdue`` steps).
    from escalation.context import register_return_source
    from rma.queries import pending_returns

    register_return_source(pending_returns)
    app.extensions.setdefault("casemgr.demo_seeders", []).append(seed_demo)
    from casemgr.api import plug_in
    from rma.api import blp as api_blp

    plug_in(app, api_blp)


def seed_demo(session, now) -> None:
    from rma.demo import seed

    seed(session, now)
