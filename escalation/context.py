"""Load what the pure clocks and ladder need for one case (a handful of indexed queries)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casemgr.cases.models import Case, CaseEvent, Commitment
from casemgr.contracts.models import SupportPlan
from escalation.clocks import CaseFacts, Targets, pauses_from_status_changes
from escalation.ladder import CustomerRequest, LadderInput, OpenCommitment, StepSpec
from escalation.models import EscalationFiring, EscalationLadder
from escalation.sla import CoverageCalendar


@dataclass
class Ladders:
    """Every ladder as plain specs, loaded once per runner pass (they are few)."""

    by_key: dict[tuple[int | None, int], list[StepSpec]]

    @classmethod
    def load(cls, session: Session) -> Ladders:
        by_key: dict[tuple[int | None, int], list[StepSpec]] = {}
        for ladder in session.scalars(select(EscalationLadder).options(selectinload(EscalationLadder.steps))):
            by_key[(ladder.plan_id, ladder.severity)] = [
                StepSpec(s.id, s.position, s.name, s.condition, s.offset_minutes, s.offset_percent, s.action,
                         s.target, s.repeat_minutes) for s in ladder.steps]
        return cls(by_key)

    def for_case(self, plan_id: int | None, severity: int) -> list[StepSpec]:
        return self.by_key.get((plan_id, severity)) or self.by_key.get((None, severity)) or []


def plan_for(session: Session, case: Case, fallback_code: str) -> SupportPlan | None:
    """The contract's plan; a case without one is still timed, on the fallback plan."""
    if case.contract is not None:
        return case.contract.plan
    plan = session.scalar(select(SupportPlan).where(SupportPlan.code == fallback_code))
    return plan or session.scalar(select(SupportPlan).order_by(SupportPlan.id).limit(1))


def calendar_for(plan: SupportPlan | None, case: Case) -> CoverageCalendar:
    if plan is None or plan.calendar.always:
        return CoverageCalendar.twenty_four_seven()
    cal = plan.calendar
    site_tz = case.asset.site.timezone if case.asset is not None else "UTC"
    return CoverageCalendar.from_dict({"always": False, "timezone": cal.timezone, "weekly_hours": cal.weekly_hours,
                                       "holidays": cal.holidays}, default_timezone=site_tz)


@dataclass
class CaseContext:
    case: Case
    plan: SupportPlan | None
    data: LadderInput
    fired: set[tuple[int, str, int]]


def load_context(session: Session, case: Case, fallback_code: str) -> CaseContext:
    plan = plan_for(session, case, fallback_code)
    events = session.execute(
        select(CaseEvent.id, CaseEvent.kind, CaseEvent.created_at, CaseEvent.data)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(("status_changed", "escalation_requested")))
        .order_by(CaseEvent.id)).all()
    changes = [(e.created_at, e.data.get("from"), e.data.get("to")) for e in events if e.kind == "status_changed"]
    requests = [CustomerRequest(e.id, e.created_at) for e in events if e.kind == "escalation_requested"]
    commitments = [OpenCommitment(c.id, c.due_at) for c in session.scalars(
        select(Commitment).where(Commitment.case_id == case.id, Commitment.status == "open"))]
    facts = CaseFacts(opened_at=case.created_at, status=case.status, first_response_at=case.first_response_at,
                      last_vendor_update_at=case.last_vendor_update_at, resolved_at=case.resolved_at,
                      pauses=pauses_from_status_changes(changes))
    targets = Targets.from_plan(plan.targets, case.severity) if plan else None
    fired = {(f.step_id, f.episode, f.cycle) for f in session.execute(
        select(EscalationFiring.step_id, EscalationFiring.episode, EscalationFiring.cycle)
        .where(EscalationFiring.case_id == case.id))}
    return CaseContext(case, plan, LadderInput(facts, targets, calendar_for(plan, case), commitments, requests),
                       fired)
