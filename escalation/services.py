"""Escalation use cases: keep a case's clocks and schedule current, run due
steps exactly once, and let a customer ask for escalation."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.bulk import insert_at_commit
from casemgr.cases import timeline
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.rules import CaseRuleError, check_text
from casemgr.errors import ForbiddenError
from casemgr.notifications.services import notify
from casemgr.queue.deadlines import DEADLINE_FIELDS, apply_deadline
from casemgr.registry import DueTimes, ReturnSource, registry_of
from escalation import actions
from escalation.clocks import breaches, compute_dues
from escalation.context import CASE_BATCH_OPTIONS, CaseContext, Ladders, Plans, load_context, load_contexts
from escalation.ladder import HIERARCHY, DueFiring, plan
from escalation.metrics import count_firings
from escalation.models import EscalationSchedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """What the escalation services take from the app: its configuration, and where parts
    owed back are reported from (the registry's return sources, which rma/ fills in)."""

    fallback_plan_code: str = "STD-8x5-NBD"
    request_interval: timedelta = timedelta(minutes=60)
    return_sources: Sequence[ReturnSource] = field(default=(), compare=False)

    @classmethod
    def from_app(cls, app: Flask | None = None) -> Settings:
        app = app or current_app
        config = app.config
        return cls(
            config.get("FALLBACK_PLAN_CODE", "STD-8x5-NBD"),
            timedelta(minutes=config.get("ESCALATION_REQUEST_INTERVAL_MINUTES", 60)),
            registry_of(app).return_sources,  # the list itself: areas initialised later add theirs
        )

    def plans(self, session: Session) -> Plans:
        return Plans(session, self.fallback_plan_code, self.return_sources)


def _assign(case: Case, **values: object) -> None:
    """Set only the fields that differ: assigning an equal value still marks the case
    dirty, and the commit would then run a flush that finds nothing to write."""
    for name, value in values.items():
        if getattr(case, name) != value:
            setattr(case, name, value)


def _apply_clocks(ctx: CaseContext, now: datetime) -> list[datetime]:
    """Write the SLA due times and breach flags onto the case; return the future dues."""
    case, data = ctx.case, ctx.data
    if data.targets is None:
        return []
    dues = compute_dues(data.facts, data.targets, data.calendar)
    first_breached, resolution_breached = breaches(data.facts, dues, now)
    _assign(
        case,
        first_response_due_at=dues.first_response,
        next_update_due_at=dues.next_update,
        resolution_due_at=dues.resolution,
        first_response_breached=case.first_response_breached or first_breached,
        resolution_breached=case.resolution_breached or resolution_breached,
    )
    if not data.facts.is_open:
        return []
    return [
        d
        for d in (dues.first_response if case.first_response_at is None else None, dues.next_update, dues.resolution)
        if d is not None and d > now
    ]


_SCHEDULES = EscalationSchedule.__table__


def _schedule(session: Session, case_id: int, next_at: datetime | None, now: datetime, new: bool = False) -> None:
    if new:  # a plain row written with the commit: every case opened comes through here
        insert_at_commit(session, _SCHEDULES, [{"case_id": case_id, "next_check_at": next_at, "updated_at": now}])
        return
    row = session.get(EscalationSchedule, case_id)
    if row is None:
        session.add(EscalationSchedule(case_id=case_id, next_check_at=next_at, updated_at=now))
    else:
        row.next_check_at, row.updated_at = next_at, now


def _evaluate(
    ctx: CaseContext, ladders: Ladders, now: datetime
) -> tuple[list[DueFiring], list[DueFiring], datetime | None]:
    """Clocks onto the case; the steps due now, those to come, and the next check once the due ones fired."""
    future_dues = _apply_clocks(ctx, now)
    steps = ladders.for_case(ctx.plan.id if ctx.plan else None, ctx.case.severity)
    due, upcoming = plan(steps, ctx.data, ctx.fired, now)
    return due, upcoming, min(future_dues + [f.due_at for f in upcoming], default=None)


def time_new_case(session: Session, case: Case, now: datetime, settings: Settings) -> DueTimes:
    """The SLA due times of a case not inserted yet (the registry's case timer), so that
    its INSERT carries them: nothing has happened to it, so there is nothing to read."""
    with session.no_autoflush:
        ctx = load_context(session, case, settings.plans(session), new=True)
    data = ctx.data
    if data.targets is None:
        return DueTimes()
    dues = compute_dues(data.facts, data.targets, data.calendar)
    return DueTimes(dues.first_response, dues.next_update, dues.resolution)


def refresh_case(
    session: Session,
    case: Case,
    now: datetime,
    settings: Settings,
    ladders: Ladders | None = None,
    *,
    new: bool = False,
) -> tuple[CaseContext, list[DueFiring], list[DueFiring]]:
    """Recompute clocks and the next check from the timeline; fire nothing.

    ``new``: the case was just opened in this transaction (nothing else to read).
    """
    ladders = ladders or Ladders.current(session)
    ctx = load_context(session, case, settings.plans(session), new=new)
    due, upcoming, next_at = _evaluate(ctx, ladders, now)
    _schedule(session, case.id, now if due else next_at, now, new=new)
    return ctx, due, upcoming


@dataclass
class RunStats:
    cases: int = 0
    fired: int = 0
    failed: list[int] = field(default_factory=list)
    conflicts: int = 0
    #: Of the fired steps, those fired after their due time had passed while no runner ran.
    late: int = 0

    def committed(self, firings: list[dict]) -> None:
        """Count the firings of a batch once its transaction has committed (stats and metrics)."""
        late = sum(1 for f in firings if f["late_seconds"])
        self.fired += len(firings)
        self.late += late
        count_firings(len(firings) - late, late)


#: Cases claimed per transaction: large enough that per-batch queries vanish, small
#: enough that a batch redone one case at a time (after a conflict) stays cheap.
BATCH_SIZE = 200


def _claim(session: Session, now: datetime, limit: int, exclude: list[int]) -> list[int]:
    """Lock up to ``limit`` due schedule rows that no other runner holds."""
    stmt = (
        select(EscalationSchedule.case_id)
        .where(EscalationSchedule.next_check_at <= now)
        .order_by(EscalationSchedule.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if exclude:
        stmt = stmt.where(EscalationSchedule.case_id.not_in(exclude))
    return list(session.scalars(stmt))


def _fire_batch(
    session: Session,
    case_ids: list[int],
    now: datetime,
    plans: Plans,
    ladders: Ladders,
    people: actions.People,
    stats: RunStats,
) -> list[dict]:
    """Fire every due step of the claimed cases, oldest first per case; the caller commits.
    Returns the firings written (for the caller to count once committed).

    Each case is evaluated on its own: one that raises is left untouched (its
    pending changes discarded, its schedule still due) and the rest go ahead.
    The writes of the others are then inserted in a few statements.
    """
    cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids)).options(*CASE_BATCH_OPTIONS)))
    out = actions.Writes(people)
    schedule: list[dict] = []
    changed: list[dict] = []
    for ctx in load_contexts(session, cases, plans):
        mine = actions.Writes(people)
        case = ctx.case
        try:
            with session.no_autoflush:  # the case's changes are written with the batch's, below
                due, _, next_at = _evaluate(ctx, ladders, now)
                for firing in due:
                    actions.perform(mine, case, firing, ctx.data.calendar, now)
        except Exception:
            log.exception("escalation of case id %s failed; it stays due and is retried next pass", case.id)
            stats.failed.append(case.id)
            session.expunge(case)  # discard what was set on it before the failure
            continue
        row = _runner_changes(case)
        session.expunge(case)  # its changes are written below, in one statement for the batch
        out.extend(mine)
        schedule.append({"b_case_id": case.id, "next_check_at": next_at, "updated_at": now})
        if row is not None:
            changed.append(row)
    gone = set(case_ids) - {case.id for case in cases}
    schedule += [{"b_case_id": case_id, "next_check_at": None, "updated_at": now} for case_id in gone]
    _update_cases(session, changed)
    out.insert(session)
    if schedule:
        session.execute(
            update(EscalationSchedule.__table__)
            .where(EscalationSchedule.__table__.c.case_id == bindparam("b_case_id"))
            .values(next_check_at=bindparam("next_check_at"), updated_at=bindparam("updated_at")),
            schedule,
        )
    return out.firings


#: What the runner may change on a case: its clocks, breach flags, tier and level.
RUNNER_FIELDS = (
    "first_response_due_at",
    "next_update_due_at",
    "resolution_due_at",
    "first_response_breached",
    "resolution_breached",
    "queue",
    "escalation_level",
    *DEADLINE_FIELDS,  # the queue's next deadline, derived from the clocks
)


def _runner_changes(case: Case) -> dict | None:
    """The case's new runner fields if any changed, with the version they were computed from.

    The runner only sets attributes on the case it loaded (nothing is flushed), so each
    attribute's history (SQLAlchemy's public ``inspect(obj).attrs[name].history``) tells
    what it changed, and ``case.version`` is still the version it read.
    """
    apply_deadline(case)  # the batch's UPDATE bypasses the flush that keeps it current
    attrs = inspect(case).attrs
    if not any(attrs[name].history.has_changes() for name in RUNNER_FIELDS):
        return None
    return {"b_id": case.id, "b_version": case.version, **{name: getattr(case, name) for name in RUNNER_FIELDS}}


def _update_cases(session: Session, rows: list[dict]) -> None:
    """One UPDATE for the batch, still under optimistic locking: a case edited since it
    was read fails the batch (StaleDataError), which is then redone case by case."""
    if not rows:
        return
    table = Case.__table__
    result = session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(version=bindparam("b_version") + 1, **{name: bindparam(name) for name in RUNNER_FIELDS}),
        rows,
    )
    assert isinstance(result, CursorResult)  # what an executemany UPDATE returns: it has the rowcount
    if result.rowcount != len(rows):
        raise StaleDataError(f"{len(rows) - result.rowcount} of {len(rows)} cases changed while being escalated")


def run_due(
    session_factory: sessionmaker[Session],
    now: datetime,
    settings: Settings,
    max_cases: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> RunStats:
    """One pass: claim due cases in batches, fire them, commit each batch.

    ``FOR UPDATE SKIP LOCKED`` lets any number of runners share the work on
    PostgreSQL; on SQLite writers are serialised. A case that fails is left due
    for the next pass and does not stop the others; a batch that meets a
    conflict (a concurrent edit of one of its cases) is rolled back and redone
    one case per transaction, so every case's firings and next check still
    commit together, exactly once.
    """
    stats = RunStats()
    with session_factory() as session:
        ladders, people = Ladders.current(session), actions.People(session)
        plans = settings.plans(session)
        session.rollback()
        while max_cases is None or stats.cases < max_cases:
            limit = batch_size if max_cases is None else min(batch_size, max_cases - stats.cases)
            case_ids = _claim(session, now, limit, stats.failed)
            if not case_ids:
                session.rollback()
                break
            stats.cases += len(case_ids)
            failed_before = len(stats.failed)
            try:
                firings = _fire_batch(session, case_ids, now, plans, ladders, people, stats)
                session.commit()
                stats.committed(firings)
                session.expunge_all()  # memory stays bounded by the batch, not the pass
            except (IntegrityError, StaleDataError):
                session.rollback()
                del stats.failed[failed_before:]
                _one_by_one(session, case_ids, now, plans, ladders, people, stats)
    return stats


def _one_by_one(
    session: Session,
    case_ids: list[int],
    now: datetime,
    plans: Plans,
    ladders: Ladders,
    people: actions.People,
    stats: RunStats,
) -> None:
    for case_id in case_ids:
        if not _claim_one(session, case_id, now):
            session.rollback()  # another runner has it, or already moved it on
            continue
        try:
            firings = _fire_batch(session, [case_id], now, plans, ladders, people, stats)
            session.commit()
            stats.committed(firings)
        except (IntegrityError, StaleDataError):
            session.rollback()  # another runner fired it first: exactly once holds
            stats.conflicts += 1
        except Exception:
            session.rollback()
            log.exception("escalation of case id %s failed; it stays due and is retried next pass", case_id)
            stats.failed.append(case_id)


def _claim_one(session: Session, case_id: int, now: datetime) -> bool:
    return (
        session.scalar(
            select(EscalationSchedule.case_id)
            .where(EscalationSchedule.case_id == case_id, EscalationSchedule.next_check_at <= now)
            .with_for_update(skip_locked=True)
        )
        is not None
    )


def request_escalation(
    session: Session, actor: User, case: Case, *, reason: str, now: datetime, settings: Settings
) -> CaseEvent:
    """The customer asks: the case jumps one hierarchical level at once."""
    if actor.role not in (Role.CUSTOMER_ADMIN,) or actor.organization_id != case.organization_id:
        raise ForbiddenError("Only the customer's admin can request escalation.")
    if not case.is_open:
        raise CaseRuleError("Only an open case can be escalated.")
    reason = check_text("Reason", reason, 1000)
    last = session.scalar(
        select(func.max(CaseEvent.created_at)).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "escalation_requested"
        )
    )
    if last is not None and now - last < settings.request_interval:
        wait = settings.request_interval - (now - last)
        minutes = -(-int(wait.total_seconds()) // 60)  # round up: never invite a retry that fails
        raise CaseRuleError(
            f"Escalation was already requested at {last:%H:%M} UTC; you can ask again in "
            f"{minutes} minutes. We are on it."
        )
    if case.escalation_level >= max(HIERARCHY):
        raise CaseRuleError("This case is already escalated to the director, the highest level.")
    case.escalation_level += 1
    case.updated_at = now
    case.customer_escalated_at = now  # the queue's "customer escalated" marker
    level = HIERARCHY[case.escalation_level]
    event = timeline.append(
        session,
        case,
        actor,
        "escalation_requested",
        now,
        public=True,
        body=f"Escalation requested: {reason}\nRaised to level {case.escalation_level} ({level}).",
        data={"reason": reason, "level": case.escalation_level},
    )
    session.flush()
    people = actions.recipients(session, case, f"role:{Role.SUPPORT_MANAGER}") + actions.recipients(
        session, case, "account_manager"
    )
    notify(
        session,
        people,
        subject=f"[{case.number} S{case.severity}] Customer requested escalation",
        body=f"{actor.name} ({case.organization.name}) asked to escalate {case.number}: {case.subject}\n\n"
        f"Reason: {reason}\nThe case is now at level {case.escalation_level} ({level}).",
        now=now,
        case_id=case.id,
        severity=case.severity,
    )
    refresh_case(session, case, now, settings)
    session.commit()
    return event


@dataclass(frozen=True)
class PathStep:
    due_at: datetime
    name: str
    what: str


def escalation_path(
    session: Session, case: Case, now: datetime, settings: Settings, *, just_opened: bool = False
) -> list[PathStep]:
    """What happens next and when, for the case page and the API (read-only).

    ``just_opened``: the caller opened the case in this request, so it has no status
    changes, commitments, firings or returns yet, and nothing needs to be read."""
    ctx = load_context(session, case, settings.plans(session), new=just_opened)
    steps = Ladders.current(session).for_case(ctx.plan.id if ctx.plan else None, case.severity)
    _, upcoming = plan(steps, ctx.data, ctx.fired, now)
    # Return reminders are vendor-internal follow-up, not the case's escalation: not shown.
    upcoming = [f for f in upcoming if f.step.condition != "return_overdue"]
    return [PathStep(f.due_at, f.step.name, actions.describe(f.step.action, f.step.target)) for f in upcoming[:5]]
