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
    from escalation.services import Settings, refresh_case, time_new_case
    from escalation.views import bp, case_panel

    settings = Settings.from_config(app.config)

    def recompute(session, event) -> None:
        case = session.get(Case, event.case_id)
        if case is not None:
            refresh_case(session, case, event.at, settings, new=isinstance(event, events.CaseOpened))

    app.extensions["casemgr.events"].subscribe(
        events.CaseOpening, lambda session, event: time_new_case(session, event.case, event.at, settings)
    )
    for event_type in (
        events.CaseOpened,
        events.CaseStatusChanged,
        events.CaseSeverityChanged,
        events.PublicReplyAdded,
        events.CommitmentChanged,
        events.CaseDeadlinesChanged,
    ):
        app.extensions["casemgr.events"].subscribe(event_type, recompute)

    app.register_blueprint(bp)
    register_case_panel(app, case_panel)
    _register_api(app)
    app.cli.add_command(escalation_group)
    app.cli.add_command(scheduler_command)
    app.extensions.setdefault("casemgr.on_serve", []).append(lambda: make_scheduler(app, blocking=False).start())
    app.extensions.setdefault("casemgr.demo_seeders", []).append(seed_demo)
    app.extensions.setdefault("casemgr.demo_finishers", []).append(replay_demo)


_FRESH_DEMO = "escalation.fresh_demo"


def seed_demo(session, now) -> None:
    """Default ladders (the replay waits until every area has seeded its cases)."""
    from escalation.defaults import seed_default_ladders

    if seed_default_ladders(session):
        session.info[_FRESH_DEMO] = True


def replay_demo(session, now) -> None:
    """Replay the runner over the demo's past, once every area's cases exist, so
    that they show the escalations a running system would have fired, on time."""
    from datetime import timedelta

    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from casemgr.cases.models import Case
    from escalation.context import Ladders
    from escalation.models import EscalationSchedule
    from escalation.services import Settings, refresh_case, run_due

    if not session.info.pop(_FRESH_DEMO, False):
        return  # seeded before: the scheduler keeps it current from here
    settings, ladders = Settings(), Ladders.load(session)
    open_cases = list(session.scalars(select(Case).where(Case.status.not_in(("resolved", "closed")))))
    start = session.scalar(select(func.min(Case.created_at))) or now
    for case in open_cases:
        refresh_case(session, case, case.created_at, settings, ladders)
    session.commit()
    factory = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    at = max(start, now - timedelta(days=3))
    while at is not None and at < now:  # jump from one due instant to the next
        run_due(factory, at, settings)
        with factory() as s:
            at = s.scalar(select(func.min(EscalationSchedule.next_check_at)))
    run_due(factory, now, settings)


def _register_api(app: Flask) -> None:
    from casemgr.api import plug_in
    from escalation.api import blp, next_escalation

    plug_in(app, blp)
    app.extensions.setdefault("casemgr.case_api_extras", []).append(next_escalation)
