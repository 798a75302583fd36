"""SLA clocks and the escalation ladder: no case is ever left without a human answer.

The core never imports this package; :func:`init_app` times new cases, subscribes to
the core's domain events, and adds the case-page panel, the pages, the API and the CLI.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from casemgr.registry import Registry


def init_app(app: Flask, registry: Registry) -> None:
    from casemgr import events
    from casemgr.cases.models import Case
    from escalation.api import blp, next_escalation
    from escalation.cli import escalation_group, scheduler_command
    from escalation.context import forget_edited_ladders
    from escalation.scheduler import make_scheduler
    from escalation.services import Settings, refresh_case, time_new_case
    from escalation.views import bp, case_panel

    settings = Settings.from_app(app)

    def recompute(session, event) -> None:
        case = session.get(Case, event.case_id)
        if case is not None:
            refresh_case(session, case, event.at, settings, new=isinstance(event, events.CaseOpened))

    registry.case_timer = lambda session, case, now: time_new_case(session, case, now, settings)
    for event_type in (
        events.CaseOpened,
        events.CaseStatusChanged,
        events.CaseSeverityChanged,
        events.PublicReplyAdded,
        events.CommitmentChanged,
        events.CaseDeadlinesChanged,
    ):
        registry.events.subscribe(event_type, recompute)
    registry.listen_sessions("after_flush", forget_edited_ladders)

    app.register_blueprint(bp)
    registry.case_panels.append(case_panel)
    registry.api_blueprints.append(blp)
    registry.case_api_extras.append(next_escalation)
    app.cli.add_command(escalation_group)
    app.cli.add_command(scheduler_command)
    registry.on_serve.append(lambda: make_scheduler(app, blocking=False).start())
    demo = DemoLadders(settings)
    registry.demo_seeders.append(demo.seed)
    registry.demo_finishers.append(demo.replay)


class DemoLadders:
    """The demo's default ladders, and a replay of the runner over the demo's past once
    every area's cases exist (only when the ladders were new: a demo run again leaves the
    running system's escalations as they are)."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.fresh = False

    def seed(self, session: Session, now: datetime) -> None:
        from escalation.defaults import seed_default_ladders

        self.fresh = bool(seed_default_ladders(session))

    def replay(self, session: Session, now: datetime) -> None:
        """So that the demo's cases show the escalations a running system would have fired, on time."""
        from datetime import timedelta

        from flask import current_app
        from sqlalchemy import func, select

        from casemgr.cases.models import Case
        from casemgr.registry import registry_of
        from escalation.context import Ladders
        from escalation.models import EscalationSchedule
        from escalation.services import refresh_case, run_due

        if not self.fresh:
            return
        self.fresh = False
        ladders = Ladders.load(session)
        open_cases = list(session.scalars(select(Case).where(Case.status.not_in(("resolved", "closed")))))
        start = session.scalar(select(func.min(Case.created_at))) or now
        for case in open_cases:
            refresh_case(session, case, case.created_at, self.settings, ladders)
        session.commit()
        factory = registry_of(current_app).db.write_session_factory
        at = max(start, now - timedelta(days=3))
        while at is not None and at < now:  # jump from one due instant to the next
            run_due(factory, at, self.settings)
            with factory() as s:
                at = s.scalar(select(func.min(EscalationSchedule.next_check_at)))
        run_due(factory, now, self.settings)
