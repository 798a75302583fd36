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
    from escalation.admin import refresh_cases_on_calendar
    from escalation.api import blp, next_escalation
    from escalation.cli import escalation_group, scheduler_command
    from escalation.context import forget_edited_ladders
    from escalation.ladder_api import blp as ladder_blp
    from escalation.metrics import lag_metrics
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
    registry.events.subscribe(
        events.CoverageCalendarChanged,
        lambda session, event: refresh_cases_on_calendar(session, event.calendar_id, event.at, settings),
    )
    registry.listen_sessions("after_flush", forget_edited_ladders)

    app.register_blueprint(bp)
    registry.case_panels.append(case_panel)
    registry.api_blueprints.append(blp)
    registry.api_blueprints.append(ladder_blp)
    registry.case_api_extras.append(next_escalation)
    app.cli.add_command(escalation_group)
    app.cli.add_command(scheduler_command)
    registry.on_serve.append(lambda: make_scheduler(app, blocking=False).start())
    registry.first_run_steps.append(default_ladders)
    registry.metric_sources.append(lag_metrics)
    registry.demo_finishers.append(replay_demo)


def default_ladders(session: Session, now: datetime) -> str:
    """First run (``casemgr init``): the default ladder of each severity, so that every case
    escalates from day one; a plan's own ladders can be added later."""
    from escalation.defaults import seed_default_ladders

    created = seed_default_ladders(session)
    return f"Default escalation ladders created: {created}." if created else "Default escalation ladders exist."


def replay_demo(session: Session, now: datetime) -> None:
    """Replay the runner over the demo's past once its cases are all in (a demo finisher:
    run only when the demo data was just created), so that they show the escalations a
    running system would have fired, on time."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import func, select

    from casemgr.cases.models import Case
    from casemgr.registry import registry_of
    from escalation.context import Ladders
    from escalation.models import EscalationSchedule
    from escalation.services import Settings, refresh_case, run_due

    settings = Settings.from_app(current_app)
    ladders = Ladders.load(session)
    open_cases = list(session.scalars(select(Case).where(Case.status.not_in(("resolved", "closed")))))
    start = session.scalar(select(func.min(Case.created_at))) or now
    for case in open_cases:
        refresh_case(session, case, case.created_at, settings, ladders)
    session.commit()
    factory = registry_of(current_app).db.write_session_factory
    at = max(start, now - timedelta(days=3))
    while at is not None and at < now:  # jump from one due instant to the next
        run_due(factory, at, settings)
        with factory() as s:
            at = s.scalar(select(func.min(EscalationSchedule.next_check_at)))
    run_due(factory, now, settings)
