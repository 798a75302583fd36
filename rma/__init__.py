"""RMA (return merchandise authorisation): replacement parts, shipments, field dispatch,
installation into the asset's component list, the defective return and its analysis.

The core never imports this package; :func:`init_app` adds the pages, the case panel,
the CLI, the return-reminder tick job and the demo RMAs.
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
    app.extensions.setdefault("casemgr.tick_jobs", []).append(return_reminders_job)
    app.extensions.setdefault("casemgr.demo_seeders", []).append(seed_demo)
    from casemgr.api import plug_in
    from rma.api import blp as api_blp

    plug_in(app, api_blp)


def return_reminders_job(app: Flask, now) -> None:
    """Tick job: overdue defective returns remind the field engineer and the account team."""
    from casemgr.db import new_session
    from rma.services import send_return_reminders

    with new_session(app, write=True) as session:
        send_return_reminders(session, now)


def seed_demo(session, now) -> None:
    from rma.demo import seed

    seed(session, now)
