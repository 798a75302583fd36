"""Load what the pure clocks and ladder need, for one case or a batch of them.

A batch costs a fixed handful of queries (cases, timelines, commitments,
firings, pending RMA returns), whatever its size: the runner's cost follows
the due cases.
"""

from __future__ import annotations

import time
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, selectinload

from casemgr.assets.models import Asset
from casemgr.cases.models import Case, CaseEvent, Commitment
from casemgr.contracts.models import Contract, SupportPlan
from casemgr.registry import ReturnSource
from escalation.clocks import CaseFacts, Targets, pauses_from_status_changes
from escalation.ladder import CustomerRequest, LadderInput, OpenCommitment, PendingReturn, StepSpec
from escalation.models import EscalationFiring, EscalationLadder, EscalationStep
from escalation.sla import CoverageCalendar

#: Eager loads for a batch of cases: one IN query per relation, not one query per case.
CASE_BATCH_OPTIONS = (
    selectinload(Case.contract).selectinload(Contract.plan).selectinload(SupportPlan.calendar),
    selectinload(Case.asset).selectinload(Asset.site),
    selectinload(Case.organization),
    selectinload(Case.owner),
)

#: How long a process uses its cached ladders without asking the database. Edits made
#: through this process clear the cache at once; other processes see them within this.
LADDER_RECHECK_SECONDS = 5.0
#: the session's bind (an engine, or the connection a session is bound to) ->
#: (fingerprint, ladders, monotonic time of the last check)
_ladder_cache: weakref.WeakKeyDictionary[Engine | Connection, tuple[tuple, Ladders, float]] = (
    weakref.WeakKeyDictionary()
)


def forget_edited_ladders(session: Session, _context: object) -> None:
    """``after_flush`` on every session of the app (escalation.init_app): an edited ladder
    is re-read at once by this process."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (EscalationLadder, EscalationStep)):
            _ladder_cache.clear()
            return


@dataclass
class Ladders:
    """Every ladder as plain specs (they are few)."""

    by_key: dict[tuple[int | None, int], list[StepSpec]]

    @classmethod
    def load(cls, session: Session) -> Ladders:
        """Plain rows, not ORM objects: a long-lived session's identity map never serves stale steps."""
        by_key: dict[tuple[int | None, int], list[StepSpec]] = {}
        s = EscalationStep
        for row in session.execute(
            select(
                EscalationLadder.plan_id,
                EscalationLadder.severity,
                s.id,
                s.position,
                s.name,
                s.condition,
                s.offset_minutes,
                s.offset_percent,
                s.action,
                s.target,
                s.repeat_minutes,
            )
            .join(s, s.ladder_id == EscalationLadder.id)
            .order_by(EscalationLadder.id, s.position, s.id)
        ):
            by_key.setdefault((row.plan_id, row.severity), []).append(StepSpec(*row[2:]))
        return cls(by_key)

    @classmethod
    def current(cls, session: Session) -> Ladders:
        """The ladders, re-read only when they changed, in this process or any other.

        Case events call this on every request. Within ``LADDER_RECHECK_SECONDS`` of
        the last check the cached ladders are used as they are; after that one small
        query reads a fingerprint of the ladder tables (row counts, highest ids and
        the sum of row versions, which every ORM edit bumps) and the ladders are
        loaded again only if it changed.
        """
        engine = session.get_bind()
        cached = _ladder_cache.get(engine)
        if cached is not None and time.monotonic() - cached[2] < LADDER_RECHECK_SECONDS:
            return cached[1]
        fingerprint = tuple(
            session.execute(
                select(
                    func.count(EscalationStep.id),
                    func.max(EscalationStep.id),
                    func.sum(EscalationStep.version),
                    select(func.count(EscalationLadder.id)).scalar_subquery(),
                    select(func.sum(EscalationLadder.version)).scalar_subquery(),
                )
            ).one()
        )
        ladders = cached[1] if cached is not None and cached[0] == fingerprint else cls.load(session)
        _ladder_cache[engine] = (fingerprint, ladders, time.monotonic())
        return ladders

    def for_case(self, plan_id: int | None, severity: int) -> list[StepSpec]:
        return self.by_key.get((plan_id, severity)) or self.by_key.get((None, severity)) or []


class Plans:
    """What a pass resolves once rather than once per case: plans, coverage calendars, and
    where parts owed back are reported from (the registry's return sources: rma/ adds one)."""

    def __init__(self, session: Session, fallback_code: str, return_sources: Sequence[ReturnSource] = ()) -> None:
        self._session, self._fallback_code = session, fallback_code
        self.return_sources = return_sources
        self._fallback: SupportPlan | None = None
        self._fallback_loaded = False
        self._calendars: dict[tuple[int | None, str], CoverageCalendar] = {}

    def plan_for(self, case: Case) -> SupportPlan | None:
        """The contract's plan; a case without one is still timed, on the fallback plan."""
        if case.contract is not None:
            return case.contract.plan
        if not self._fallback_loaded:
            self._fallback = self._session.scalar(select(SupportPlan).where(SupportPlan.code == self._fallback_code))
            self._fallback = self._fallback or self._session.scalar(
                select(SupportPlan).order_by(SupportPlan.id).limit(1)
            )
            self._fallback_loaded = True
        return self._fallback

    def calendar_for(self, plan: SupportPlan | None, case: Case) -> CoverageCalendar:
        site_tz = case.asset.site.timezone if case.asset is not None else "UTC"
        key = (plan.id if plan else None, site_tz)
        if key not in self._calendars:
            self._calendars[key] = calendar_for(plan, site_tz)
        return self._calendars[key]


def calendar_for(plan: SupportPlan | None, site_tz: str) -> CoverageCalendar:
    if plan is None or plan.calendar.always:
        return CoverageCalendar.twenty_four_seven()
    cal = plan.calendar
    return CoverageCalendar.from_dict(
        {"always": False, "timezone": cal.timezone, "weekly_hours": cal.weekly_hours, "holidays": cal.holidays},
        default_timezone=site_tz,
    )


@dataclass
class CaseContext:
    case: Case
    plan: SupportPlan | None
    data: LadderInput
    fired: set[tuple[int, str, int]]


def load_contexts(session: Session, cases: Sequence[Case], plans: Plans, *, new: bool = False) -> list[CaseContext]:
    """Contexts for many cases with a few queries in all, whatever their number.

    ``new``: the cases were opened in this transaction, so they have no status
    changes, requests, commitments, firings or RMAs yet: nothing to read.
    """
    ids = [case.id for case in cases]
    if not ids:
        return []
    if new:
        return [_context(case, plans, [], [], [], set(), []) for case in cases]
    changes: dict[int, list[tuple]] = defaultdict(list)
    requests: dict[int, list[CustomerRequest]] = defaultdict(list)
    for e in session.execute(
        select(CaseEvent.case_id, CaseEvent.id, CaseEvent.kind, CaseEvent.created_at, CaseEvent.data)
        .where(CaseEvent.case_id.in_(ids), CaseEvent.kind.in_(("status_changed", "escalation_requested")))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    ):
        if e.kind == "status_changed":
            changes[e.case_id].append((e.created_at, e.data.get("from"), e.data.get("to")))
        else:
            requests[e.case_id].append(CustomerRequest(e.id, e.created_at))
    commitments: dict[int, list[OpenCommitment]] = defaultdict(list)
    for c in session.execute(
        select(Commitment.case_id, Commitment.id, Commitment.due_at)
        .where(Commitment.case_id.in_(ids), Commitment.status == "open")
        .order_by(Commitment.id)
    ):
        commitments[c.case_id].append(OpenCommitment(c.id, c.due_at))
    fired: dict[int, set[tuple[int, str, int]]] = defaultdict(set)
    for f in session.execute(
        select(
            EscalationFiring.case_id, EscalationFiring.step_id, EscalationFiring.episode, EscalationFiring.cycle
        ).where(EscalationFiring.case_id.in_(ids))
    ):
        fired[f.case_id].add((f.step_id, f.episode, f.cycle))
    returns: dict[int, list[PendingReturn]] = defaultdict(list)
    for source in plans.return_sources:
        for case_id, pending in source(session, ids).items():
            returns[case_id] += pending
    return [
        _context(
            case, plans, changes[case.id], requests[case.id], commitments[case.id], fired[case.id], returns[case.id]
        )
        for case in cases
    ]


def _context(
    case: Case,
    plans: Plans,
    changes: list[tuple],
    requests: list[CustomerRequest],
    commitments: list[OpenCommitment],
    fired: set[tuple[int, str, int]],
    returns: list[PendingReturn],
) -> CaseContext:
    plan = plans.plan_for(case)
    facts = CaseFacts(
        opened_at=case.created_at,
        status=case.status,
        first_response_at=case.first_response_at,
        last_vendor_update_at=case.last_vendor_update_at,
        resolved_at=case.resolved_at,
        pauses=pauses_from_status_changes(changes),
    )
    targets = Targets.from_plan(plan.targets, case.severity) if plan else None
    data = LadderInput(facts, targets, plans.calendar_for(plan, case), commitments, requests, returns)
    return CaseContext(case, plan, data, fired)


def load_context(session: Session, case: Case, plans: Plans, *, new: bool = False) -> CaseContext:
    return load_contexts(session, [case], plans, new=new)[0]
