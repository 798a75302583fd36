"""SLA clocks and the escalation ladder: no case is ever left without a human answer.

The core never imports this package; :func:`init_app` subscribes to the core's
domain events, adds the case-page panel, the pages and the CLI commands.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casemgr import events
    from casemgr.cases.models import Case
    from casemgr.panels import register_case_panel
    from escalation.cli import escalation_group, scheduler_command
    from escalation.scheduler import make_scheduler
    from escalation.services import Settings, refresh_case
    from escalation.views import bp, case_panel

    settings = Settings.from_config(app.config)

    def recompute(session, event) -> None:
        case = session.get(Case, event.case_id)
        if case is not None:
            refresh_case(session, case, event.at, settings)

    for event_type in (events.CaseOpened, events.CaseStatusChanged, events.CaseSeverityChanged,
                       events.PublicReplyAdded, events.CommitmentChanged):
        app.extensions["casemgr.events"].subscribe(event_type, recompute)

    app.register_blueprint(bp)
    register_case_panel(app, case_panel)
    app.cli.add_command(escalation_group)
    app.cli.add_command(scheduler_command)
    app.extensions.setdefault("casemgr.on_serve", []).append(lambda: make_scheduler(app, blocking=False).start())
