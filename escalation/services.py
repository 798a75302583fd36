"""Escalation use cases: keep a case's clocks and schedule current, run due
steps exactly once, and let a customer ask for escalation."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.rules import CaseRuleError, check_text
from casemgr.errors import ForbiddenError
from casemgr.notifications.services import notify
from escalation import actions
from escalation.clocks import breaches, compute_dues
from escalation.context import CaseContext, Ladders, load_context
from escalation.ladder import HIERARCHY, DueFiring, plan
from escalation.models import EscalationFiring, EscalationSchedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    fallback_plan_code: str = "STD-8x5-NBD"
    request_interval: timedelta = timedelta(minutes=60)

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(config.get("FALLBACK_PLAN_CODE", "STD-8x5-NBD"),
                   timedelta(minutes=config.get("ESCALATION_REQUEST_INTERVAL_MINUTES", 60)))


def _apply_clocks(ctx: CaseContext, now: datetime) -> list[datetime]:
    """Write the SLA due times and breach flags onto the case; return the future dues."""
    case, data = ctx.case, ctx.data
    if data.targets is None:
        return []
    dues = compute_dues(data.facts, data.targets, data.calendar)
    case.first_response_due_at, case.next_update_due_at, case.resolution_due_at = (
        dues.first_response, dues.next_update, dues.resolution)
    first_breached, resolution_breached = breaches(data.facts, dues, now)
    case.first_response_breached = case.first_response_breached or first_breached
    case.resolution_breached = case.resolution_breached or resolution_breached
    if not data.facts.is_open:
        return []
    return [d for d in (dues.first_response if case.first_response_at is None else None,
                        dues.next_update, dues.resolution) if d is not None and d > now]


def _schedule(session: Session, case_id: int, next_at: datetime | None, now: datetime) -> None:
    row = session.get(EscalationSchedule, case_id)
    if row is None:
        session.add(EscalationSchedule(case_id=case_id, next_check_at=next_at, updated_at=now))
    else:
        row.next_check_at, row.updated_at = next_at, now


def refresh_case(session: Session, case: Case, now: datetime, settings: Settings,
                 ladders: Ladders | None = None) -> tuple[CaseContext, list[DueFiring], list[DueFiring]]:
    """Recompute clocks and the next check from the timeline; fire nothing."""
    ladders = ladders or Ladders.load(session)
    ctx = load_context(session, case, settings.fallback_plan_code)
    future_dues = _apply_clocks(ctx, now)
    steps = ladders.for_case(ctx.plan.id if ctx.plan else None, case.severity)
    due, upcoming = plan(steps, ctx.data, ctx.fired, now)
    candidates = future_dues + [f.due_at for f in upcoming] + ([now] if due else [])
    _schedule(session, case.id, min(candidates, default=None), now)
    return ctx, due, upcoming


def fire_case(session: Session, case: Case, now: datetime, settings: Settings, ladders: Ladders) -> int:
    """Fire every due step of one case, in order; the caller commits (or rolls back) once."""
    ctx, due, _ = refresh_case(session, case, now, settings, ladders)
    for firing in due:
        # The unique key (case, step, episode, cycle) makes a second runner's insert fail.
        session.add(EscalationFiring(case_id=case.id, step_id=firing.step.id, episode=firing.episode,
                                     cycle=firing.cycle, due_at=firing.due_at, fired_at=now,
                                     late_seconds=firing.late_seconds(now)))
        session.flush()
        actions.perform(session, case, firing, ctx.data.calendar, now)
    if due:
        refresh_case(session, case, now, settings, ladders)  # the next check after these firings
    return len(due)


@dataclass
class RunStats:
    cases: int = 0
    fired: int = 0
    failed: list[int] = field(default_factory=list)
    conflicts: int = 0


def run_due(session_factory: sessionmaker[Session], now: datetime, settings: Settings,
            max_cases: int | None = None) -> RunStats:
    """One pass: claim due cases one at a time, each in its own transaction.

    ``FOR UPDATE SKIP LOCKED`` lets any number of runners share the work on
    PostgreSQL; on SQLite writers are serialised. A failing case is rolled back,
    left due for the next pass, and does not stop the others.
    """
    stats = RunStats()
    with session_factory() as session:
        ladders = Ladders.load(session)
        session.rollback()
        while max_cases is None or stats.cases < max_cases:
            claim = (select(EscalationSchedule.case_id)
                     .where(EscalationSchedule.next_check_at <= now)
                     .order_by(EscalationSchedule.next_check_at).limit(1)
                     .with_for_update(skip_locked=True))
            if stats.failed:
                claim = claim.where(EscalationSchedule.case_id.not_in(stats.failed))
            case_id = session.scalar(claim)
            if case_id is None:
                session.rollback()
                break
            stats.cases += 1
            try:
                case = session.get(Case, case_id)
                fired = fire_case(session, case, now, settings, ladders)
                session.commit()
                stats.fired += fired
            except IntegrityError:
                session.rollback()  # another runner fired it first: exactly once holds
                stats.conflicts += 1
            except Exception:
                session.rollback()
                log.exception("escalation of case id %s failed; it stays due and is retried next pass", case_id)
                stats.failed.append(case_id)
    return stats


def request_escalation(session: Session, actor: User, case: Case, *, reason: str, now: datetime,
                       settings: Settings) -> CaseEvent:
    """The customer asks: the case jumps one hierarchical level at once."""
    if actor.role not in (Role.CUSTOMER_ADMIN,) or actor.organization_id != case.organization_id:
        raise ForbiddenError("Only the customer's admin can request escalation.")
    if not case.is_open:
        raise CaseRuleError("Only an open case can be escalated.")
    reason = check_text("Reason", reason, 1000)
    last = session.scalar(select(func.max(CaseEvent.created_at)).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "escalation_requested"))
    if last is not None and now - last < settings.request_interval:
        wait = settings.request_interval - (now - last)
        minutes = -(-int(wait.total_seconds()) // 60)  # round up: never invite a retry that fails
        raise CaseRuleError(f"Escalation was already requested at {last:%H:%M} UTC; you can ask again in "
                            f"{minutes} minutes. We are on it.")
    if case.escalation_level >= max(HIERARCHY):
        raise CaseRuleError("This case is already escalated to the director, the highest level.")
    case.escalation_level += 1
    case.updated_at = now
    level = HIERARCHY[case.escalation_level]
    event = CaseEvent(case_id=case.id, kind="escalation_requested", actor_id=actor.id, public=True, created_at=now,
                      body=f"Escalation requested: {reason}\nRaised to level {case.escalation_level} ({level}).",
                      data={"reason": reason, "level": case.escalation_level})
    session.add(event)
    session.flush()
    people = actions.recipients(session, case, f"role:{Role.SUPPORT_MANAGER}") + \
        actions.recipients(session, case, "account_manager")
    notify(session, people, subject=f"[{case.number} S{case.severity}] Customer requested escalation",
           body=f"{actor.name} ({case.organization.name}) asked to escalate {case.number}: {case.subject}\n\n"
                f"Reason: {reason}\nThe case is now at level {case.escalation_level} ({level}).",
           now=now, case_id=case.id, severity=case.severity)
    refresh_case(session, case, now, settings)
    session.commit()
    return event


@dataclass(frozen=True)
class PathStep:
    due_at: datetime
    name: str
    what: str


def escalation_path(session: Session, case: Case, now: datetime, settings: Settings) -> list[PathStep]:
    """What happens next and when, for the case page (read-only; rolls back nothing)."""
    ladders = Ladders.load(session)
    ctx = load_context(session, case, settings.fallback_plan_code)
    steps = ladders.for_case(ctx.plan.id if ctx.plan else None, case.severity)
    _, upcoming = plan(steps, ctx.data, ctx.fired, now)
    return [PathStep(f.due_at, f.step.name, actions.describe(f.step.action, f.step.target)) for f in upcoming[:5]]
