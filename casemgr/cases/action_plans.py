"""Structured action plans: steps from a catalogue, each aimed at a component, each checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases import timeline
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.safety import services as safety
from casemgr.safety.rules import ActionKind, evaluate

CATALOGUE = {
    ActionKind.COLLECT_LOGS: "Collect logs / support bundle",
    ActionKind.RESEAT_CABLE: "Reseat a cable",
    ActionKind.RESEAT_COMPONENT: "Reseat a component",
    ActionKind.REINSERT_COMPONENT: "Reinsert a component",
    ActionKind.REPLACE_COMPONENT: "Replace a component (with the RMA part)",
    ActionKind.UPDATE_FIRMWARE: "Update firmware",
    ActionKind.DOWNGRADE_FIRMWARE: "Downgrade firmware",
    ActionKind.POWER_CYCLE: "Power-cycle the system",
    ActionKind.FORCE_ONLINE: "Force a component online",
    ActionKind.CLEAR_FAULT: "Clear a fault",
}
MAX_STEPS = 10


@dataclass(frozen=True)
class PlanStep:
    action: str
    component_serial: str | None
    note: str = ""


def send_action_plan(session: Session, actor: User, case: Case, steps: list[PlanStep], now: datetime) -> CaseEvent:
    """Every step is evaluated by the guard; one unsafe step refuses the whole plan."""
    policy.require_case_worker(actor)
    if not case.is_open:
        raise CaseRuleError("Action plans can only be sent on an open case.")
    if not steps or len(steps) > MAX_STEPS:
        raise CaseRuleError(f"An action plan has 1 to {MAX_STEPS} steps.")
    facts = {f.serial: f for f in safety.component_facts(session, case.asset)} if case.asset else {}
    asset = safety.asset_facts(case.asset) if case.asset else None
    refusals = []
    for number, step in enumerate(steps, start=1):
        try:
            action = ActionKind(step.action)
        except ValueError:
            raise CaseRuleError(f"Step {number}: unknown action {step.action!r}.") from None
        component = facts.get(step.component_serial) if step.component_serial else None
        if step.component_serial and component is None:
            raise CaseRuleError(f"Step {number}: {step.component_serial} is not a component of this case's asset.")
        decision = evaluate(action, component, asset)
        if not decision.allowed:
            target = f" on {component.slot} (SN {component.serial})" if component else ""
            refusals.append(
                safety.Refusal(
                    decision,
                    action.value,
                    step.component_serial,
                    f"Step {number}: {CATALOGUE[action]}{target}. {step.note}".strip(),
                )
            )
    if refusals:
        safety.record_refusals(session, actor, refusals, channel="action_plan", now=now, case=case)
    lines = []
    for number, step in enumerate(steps, start=1):
        component = facts.get(step.component_serial) if step.component_serial else None
        target = f" — {component.slot} (SN {component.serial})" if component else ""
        lines.append(f"{number}. {CATALOGUE[ActionKind(step.action)]}{target}{': ' + step.note if step.note else ''}")
    event = timeline.append(
        session,
        case,
        actor,
        "action_plan",
        now,
        public=True,
        body="\n".join(lines),
        data={"steps": [{"action": s.action, "component_serial": s.component_serial, "note": s.note} for s in steps]},
    )
    case.updated_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    case.last_vendor_update_at = now
    events.publish(session, events.PublicReplyAdded(case.id, by_vendor=True, at=now))
    session.commit()
    return event
