"""RMA (return merchandise authorisation): replacement parts, shipments, field dispatch,
installation into the asset's component list, the defective return and its analysis.

The core never imports this package; :func:`init_app` adds the pages, the case panel,
the API, the CLI, the demo RMAs, and reports pending returns to the escalation ladder.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from casemgr.registry import Registry


def init_app(app: Flask, registry: Registry) -> None:
    from rma.api import blp as api_blp
    from rma.case_panel import case_panel  # also adds the open-RMA route to the blueprint
    from rma.cli import rma_group
    from rma.queries import pending_returns, serviced_case_ids
    from rma.search import RmaIdentifiers, RmaText
    from rma.views import bp

    app.config.setdefault("RMA_RETURN_DAYS", 10)
    app.register_blueprint(bp)
    registry.home_pages["field_engineer"] = "rma.my_dispatches"
    registry.case_panels.append(case_panel)
    registry.api_blueprints.append(api_blp)
    registry.return_sources.append(pending_returns)  # overdue returns go up the escalation ladder
    registry.serviced_cases = serviced_case_ids  # field engineers see the case and asset behind their visits
    registry.demo_seeders.append(seed_demo)
    registry.search_text_sources.append(RmaText())  # RMA numbers, tracking and problem text in search
    registry.search_identifier_sources.append(RmaIdentifiers())
    app.cli.add_command(rma_group)


def seed_demo(session: Session, now: datetime) -> None:
    from rma.demo import seed

    seed(session, now)
