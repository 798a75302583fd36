"""RMA use cases. Each takes (session, actor, ..., now), checks who may act, moves the
state only through ``rma.states.transition``, appends a public case event per move,
notifies the case owner and the customer, and commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset, Component, Part, QuarantinedSerial
from casemgr.assets.services import install_component, quarantine
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases import timeline
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.services import account_managers_of
from casemgr.cases.watchers import tell
from casemgr.concurrency import detect_conflicts
from casemgr.contracts.services import active_contract_for
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.notifications.services import notify
from casemgr.numbering import next_value
from casemgr.safety.models import ComponentCorrection
from rma import rules
from rma.lifecycle import (
    case_owner,
    check_version,
    record_move,
    record_note,
    require_field_or_worker,
    require_worker,
    tracking_url,
)
from rma.models import Dispatch, FailureAnalysis, Rma, Shipment
from rma.states import RmaKind, RmaState, transition

S = RmaState
MANAGERS = frozenset({Role.SUPPORT_MANAGER, Role.ADMIN})
DEFAULT_RETURN_DAYS = 10


# --- opening -------------------------------------------------------------------


def entitlement_for(session: Session, case: Case, now: datetime) -> tuple[rules.Entitlement, Any]:
    contract = active_contract_for(session, case.asset_id, now.date()) if case.asset_id else None
    if contract is None:
        return rules.Entitlement(covered=False), None
    plan = contract.plan
    return rules.Entitlement(True, plan.onsite, plan.advance_replacement, plan.keep_your_drive), contract


def compatible_parts(case: Case, component: Component | None = None) -> list[Part]:
    """Catalogue parts for the asset's product; with a component, those of the same kind first."""
    parts = list(case.asset.product.compatible_parts) if case.asset else []
    if component is not None:
        parts.sort(key=lambda p: (p.kind != component.part.kind, p.part_number))
    return parts


class OpenRmaRefused(CaseRuleError):
    """The open-RMA form is incomplete; ``fields`` maps each form field to what it needs."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__(" ".join(self.fields.values()))


@dataclass(frozen=True)
class OpenPlan:
    """What opening would do, checked and not yet written (the confirmation page shows it)."""

    asset: Asset  # the case's
    component: Component
    part: Part
    kind: RmaKind
    disposition: str
    entitlement: rules.Entitlement
    contract: Any
    problem: str

    @property
    def marks_failed(self) -> bool:
        """False when the component was already marked failed before this RMA."""
        return self.component.state != "failed"


def check_open(
    session: Session,
    actor: User,
    case: Case,
    *,
    component_id: int | None,
    part_id: int | None = None,
    kind: str,
    disposition: str | None = None,
    problem: str,
    now: datetime,
) -> OpenPlan:
    """Every rule of opening an RMA, writing nothing: a missing component or problem
    description is refused (both named at once), so no part is marked failed by a slip."""
    require_worker(actor)
    asset = case.asset
    if asset is None:
        raise CaseRuleError("This case has no asset: attach one before opening an RMA.")
    missing: dict[str, str] = {}
    if not component_id:
        missing["component_id"] = (
            "Choose the failed component: it is marked failed and quarantined for good, so nothing is preselected."
        )
    if not (problem or "").strip():
        missing["problem"] = "Describe the problem the replacement fixes (what failed, what the customer sees)."
    if missing:
        raise OpenRmaRefused(missing)
    component = session.get(Component, component_id)
    if component is None or component.asset_id != case.asset_id or component.state == "removed":
        raise OpenRmaRefused({"component_id": "Choose a component installed in this case's asset."})
    if component.state == "quarantined":
        raise CaseRuleError(f"{component.slot} (SN {component.serial}) is already quarantined.")
    open_for_it = session.scalar(
        select(Rma.number).where(
            Rma.failed_component_id == component.id, Rma.state.not_in((S.CLOSED.value, S.CANCELLED.value))
        )
    )
    if open_for_it:
        raise CaseRuleError(f"{open_for_it} is already open for {component.slot} (SN {component.serial}).")
    part = session.get(Part, part_id) if part_id else component.part
    if part is None or part not in asset.product.compatible_parts:
        raise CaseRuleError(f"Choose a replacement part compatible with {asset.product.model}.")
    if part.kind != component.part.kind:
        raise CaseRuleError(f"{part.part_number} is a {part.kind}; the failed part is a {component.part.kind}.")
    ent, contract = entitlement_for(session, case, now)
    try:
        chosen = rules.check_kind(ent, kind)
        disp = rules.check_disposition(ent, component.part.data_bearing, chosen, disposition)
    except rules.RmaRuleError as exc:
        raise CaseRuleError(str(exc)) from None
    return OpenPlan(asset, component, part, chosen, disp, ent, contract, problem.strip()[:2000])


@detect_conflicts("RMA")
def open_rma(
    session: Session,
    actor: User,
    case: Case,
    *,
    component_id: int | None,
    part_id: int | None = None,
    kind: str,
    disposition: str | None = None,
    problem: str,
    now: datetime,
) -> Rma:
    """The failed component is marked failed (and quarantined) at once; covered assets are
    approved on the spot, others wait for a support manager. The component's state before
    is kept on the RMA, for a support manager's correction of a mistaken mark."""
    plan = check_open(
        session,
        actor,
        case,
        component_id=component_id,
        part_id=part_id,
        kind=kind,
        disposition=disposition,
        problem=problem,
        now=now,
    )
    asset, component, part, chosen, disp, ent, contract = (
        plan.asset,
        plan.component,
        plan.part,
        plan.kind,
        plan.disposition,
        plan.entitlement,
        plan.contract,
    )
    state_before, quarantine_added = component.state, False
    if component.state != "failed":
        component.state = "failed"
        quarantine_added = session.get(QuarantinedSerial, component.serial) is None
        quarantine(session, component, f"failed in {asset.serial} {component.slot} (RMA)", now)
    number = f"RMA-{next_value(session, 'rma'):06d}"
    rma = Rma(
        number=number,
        case=case,
        organization_id=case.organization_id,
        asset_id=case.asset_id,
        failed_component=component,
        replacement_part=part,
        kind=chosen.value,
        state=S.REQUESTED.value,
        disposition=disp,
        needs_approval=not ent.covered,
        region=asset.site.region or "",
        problem=plan.problem,
        component_state_before=state_before,
        quarantine_added=quarantine_added,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(rma)
    session.flush()
    timeline.append(
        session,
        case,
        actor,
        "rma",
        now,
        public=True,
        channel="rma_requested",
        body=f"{number} opened for {component.slot} (SN {component.serial}, {component.part.part_number}):"
        f" {rules.KIND_LABELS[chosen]}. Problem: {plan.problem.rstrip('.')}. The failed part is"
        " marked failed and will never be reinstalled.",
        data={"rma": number, "from": None, "to": S.REQUESTED.value, "by": actor.name},
    )
    tell(
        session,
        case,
        actor,
        kind="rma",
        what=f"{number} replacement requested",
        body=f"{actor.name} opened {number} on {case.number} for {component.slot} of {asset.serial}"
        f" ({rules.KIND_LABELS[chosen]}).",
        now=now,
    )
    if ent.covered:
        rma.approved_by_id, rma.approved_at = actor.id, now
        rma.approval_note = f"Covered by contract {contract.number} ({contract.plan.name})."
        record_move(session, actor, rma, S.APPROVED, now, rma.approval_note)
    else:
        managers = session.scalars(select(User).where(User.role == Role.SUPPORT_MANAGER))
        notify(
            session,
            managers,
            subject=f"{number} needs approval: {asset.serial} has no active contract",
            body=f"{number} on {case.number} waits for a support manager's approval.",
            now=now,
            case_id=case.id,
        )
    session.commit()
    return rma


@detect_conflicts("RMA")
def approve(
    session: Session, actor: User, rma: Rma, *, note: str = "", now: datetime, expected_version: int | None = None
) -> None:
    """Out-of-contract RMAs need a support manager; the approval is recorded with its reason."""
    require_worker(actor)
    check_version(rma, expected_version)
    if rma.needs_approval and actor.role not in MANAGERS:
        raise ForbiddenError("The asset has no active contract: only a support manager can approve this RMA.")
    if rma.needs_approval and not note.strip():
        raise CaseRuleError("Say why this out-of-contract RMA is approved (recorded on the case).")
    transition(rma.kind, rma.state, S.APPROVED)
    rma.approved_by_id, rma.approved_at, rma.approval_note = actor.id, now, note.strip()[:2000]
    record_move(
        session, actor, rma, S.APPROVED, now, f"Approved by {actor.name}: {note.strip()}" if note.strip() else ""
    )
    session.commit()


# --- shipping ------------------------------------------------------------------


def _tracking(carrier: str, tracking: str) -> tuple[str, str]:
    carrier, tracking = carrier.strip(), tracking.strip()
    if not carrier or not tracking:
        raise CaseRuleError("Carrier and tracking number are both required.")
    return carrier[:64], tracking[:64]


@detect_conflicts("RMA")
def ship_replacement(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    carrier: str,
    tracking: str,
    now: datetime,
    expected_version: int | None = None,
) -> Shipment:
    require_worker(actor)
    check_version(rma, expected_version)
    carrier, tracking = _tracking(carrier, tracking)
    transition(rma.kind, rma.state, S.SHIPPED)
    shipment = Shipment(direction="out", carrier=carrier, tracking=tracking, shipped_at=now)
    rma.shipments.append(shipment)
    url = tracking_url(carrier, tracking)
    record_move(
        session,
        actor,
        rma,
        S.SHIPPED,
        now,
        f"{rma.replacement_part.part_number} via {carrier}, tracking {tracking}."
        + (f" Track it: {url}" if url else ""),
    )
    session.commit()
    return shipment


@detect_conflicts("RMA")
def deliver_replacement(
    session: Session, actor: User, rma: Rma, *, now: datetime, expected_version: int | None = None
) -> None:
    if actor.role not in CASE_WORKER_ROLES and not (
        actor.role == Role.FIELD_ENGINEER and rma.field_engineer_id == actor.id
    ):
        raise ForbiddenError("Only support staff record deliveries.")
    check_version(rma, expected_version)
    transition(rma.kind, rma.state, S.DELIVERED)
    shipment = rma.shipment("out")
    if shipment is not None:
        shipment.delivered_at = now
    record_move(session, actor, rma, S.DELIVERED, now)
    session.commit()


@detect_conflicts("RMA")
def ship_return(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    carrier: str,
    tracking: str,
    now: datetime,
    expected_version: int | None = None,
) -> Shipment:
    """The defective part's trip back; for return-and-replace it starts the wait (approved -> return_pending)."""
    if actor.role in CUSTOMER_ROLES:  # the customer ships it back themselves
        if actor.organization_id != rma.organization_id:
            raise NotFoundError(rma.number)
    else:
        require_field_or_worker(actor, rma)
    check_version(rma, expected_version)
    carrier, tracking = _tracking(carrier, tracking)
    if rma.disposition == "retained":
        raise CaseRuleError("This part stays with the customer (keep-your-drive): nothing to return.")
    if rma.state == S.APPROVED.value and rma.kind == RmaKind.RETURN_AND_REPLACE.value:
        transition(rma.kind, rma.state, S.RETURN_PENDING)
        rma.shipments.append(Shipment(direction="return", carrier=carrier, tracking=tracking, shipped_at=now))
        record_move(
            session, actor, rma, S.RETURN_PENDING, now, f"Defective part ships back via {carrier}, tracking {tracking}."
        )
    elif rma.state == S.RETURN_PENDING.value:
        rma.shipments.append(Shipment(direction="return", carrier=carrier, tracking=tracking, shipped_at=now))
        rma.updated_at = now
        record_note(session, actor, rma, f"defective part shipped back via {carrier}, tracking {tracking}.", now)
    else:
        raise CaseRuleError(
            f"{rma.number} is {rma.state}: the return ships from "
            f"{'approved' if rma.kind == RmaKind.RETURN_AND_REPLACE.value else 'return_pending'}."
        )
    session.commit()
    return rma.shipments[-1]


# --- field engineering ---------------------------------------------------------


def field_engineers(session: Session, region: str | None = None) -> list[User]:
    stmt = select(User).where(User.role == Role.FIELD_ENGINEER, User.is_active_flag.is_(True)).order_by(User.name)
    if region:
        stmt = stmt.where(User.region == region)
    return list(session.scalars(stmt))


def _site_window(start: datetime, end: datetime, tz: str) -> str:
    """The visit window as the site reads it: "2026-11-24 16:00-18:00 EST"."""
    a, b = start.astimezone(ZoneInfo(tz)), end.astimezone(ZoneInfo(tz))
    until = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%Y-%m-%d %H:%M}"
    return f"on {a:%Y-%m-%d %H:%M}-{until} {b:%Z} (site time, {tz})"


def _dispatch(
    session: Session,
    actor: User,
    rma: Rma,
    engineer: User,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    note: str = "",
) -> Dispatch:
    if window_end <= window_start:
        raise CaseRuleError("The visit window must end after it starts.")
    transition(rma.kind, rma.state, S.DISPATCHED)
    site = rma.asset.site
    dispatch = Dispatch(
        engineer_id=engineer.id,
        window_start=window_start,
        window_end=window_end,
        contact_name=site.contact_name,
        contact_phone=site.contact_phone,
        created_at=now,
    )
    rma.dispatches.append(dispatch)
    rma.field_engineer_id = engineer.id
    window = _site_window(window_start, window_end, site.timezone)
    record_move(
        session, actor, rma, S.DISPATCHED, now, (note + " " if note else "") + f"{engineer.name} will visit {window}."
    )
    notify(
        session,
        [engineer],
        subject=f"Dispatch {rma.number}: {rma.asset.serial} at {site.name}",
        body=f"Visit {window} at {site.name}, {site.address}.",
        now=now,
        case_id=rma.case_id,
    )
    return dispatch


@detect_conflicts("RMA")
def schedule_dispatch(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    engineer_id: int,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    expected_version: int | None = None,
) -> Dispatch:
    require_worker(actor)
    check_version(rma, expected_version)
    engineer = session.get(User, engineer_id)
    if engineer is None or engineer.role != Role.FIELD_ENGINEER or not engineer.is_active:
        raise CaseRuleError("Choose an active field engineer.")
    dispatch = _dispatch(session, actor, rma, engineer, window_start, window_end, now)
    session.commit()
    return dispatch


@detect_conflicts("RMA")
def revisit(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    reason: str,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    expected_version: int | None = None,
) -> Dispatch:
    """The visit could not finish (wrong part, no access): on_site -> dispatched, new window."""
    require_field_or_worker(actor, rma)
    check_version(rma, expected_version)
    if not reason.strip():
        raise CaseRuleError("Say why the visit could not be completed.")
    engineer = rma.field_engineer or actor
    dispatch = _dispatch(
        session, actor, rma, engineer, window_start, window_end, now, f"Visit not completed: {reason.strip()[:500]}."
    )
    session.commit()
    return dispatch


@detect_conflicts("RMA")
def record_arrival(
    session: Session, actor: User, rma: Rma, *, now: datetime, expected_version: int | None = None
) -> None:
    require_field_or_worker(actor, rma)
    check_version(rma, expected_version)
    transition(rma.kind, rma.state, S.ON_SITE)
    dispatch = rma.current_dispatch
    if dispatch is None:  # ON_SITE follows DISPATCHED, which records a dispatch
        raise CaseRuleError(f"{rma.number} has no dispatch to arrive for.")
    dispatch.arrived_at = now
    record_move(session, actor, rma, S.ON_SITE, now)
    session.commit()


@detect_conflicts("RMA")
def add_visit_note(session: Session, actor: User, rma: Rma, *, notes: str, now: datetime) -> None:
    require_field_or_worker(actor, rma)
    if rma.current_dispatch is None or not notes.strip():
        raise CaseRuleError("Write a note about the visit.")
    dispatch = rma.current_dispatch
    stamp = f"[{now:%Y-%m-%d %H:%M} UTC] {notes.strip()}"
    dispatch.notes = f"{dispatch.notes}\n{stamp}".strip()
    rma.updated_at = now
    record_note(session, actor, rma, f"on-site note: {notes.strip()}", now, public=False)
    session.commit()


# --- installation and the return leg -------------------------------------------


@detect_conflicts("RMA")
def install(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    serial: str,
    notes: str = "",
    now: datetime,
    return_days: int = DEFAULT_RETURN_DAYS,
    expected_version: int | None = None,
    channel: str = "rma",
) -> Component:
    """Record the new part through ``install_component`` (safety guard, quarantine of the
    failed one), then start the return leg or keep the drive.

    The RMA changes are staged first so the install's commit carries them, and a safety
    refusal (which rolls the session back) discards them."""
    check_version(rma, expected_version)
    if rma.kind == RmaKind.ONSITE_DISPATCH.value:
        require_field_or_worker(actor, rma)
    elif actor.role in CUSTOMER_ROLES:
        if actor.organization_id != rma.organization_id:
            raise NotFoundError(rma.number)
        if not rma.replacement_part.customer_replaceable:
            raise ForbiddenError(f"{rma.replacement_part.part_number} is not customer-replaceable.")
    elif actor.role not in CASE_WORKER_ROLES and actor.role != Role.FIELD_ENGINEER:
        raise ForbiddenError("Your role cannot record this installation.")
    transition(rma.kind, rma.state, S.INSTALLED)
    failed, asset = rma.failed_component, rma.asset
    serial = rules.normalise_serial(serial)
    if not serial:
        raise CaseRuleError("Enter the new part's serial number.")
    rma.installed_at = now
    if rma.current_dispatch is not None and notes.strip():
        rma.current_dispatch.notes = f"{rma.current_dispatch.notes}\n[{now:%Y-%m-%d %H:%M} UTC] {notes.strip()}".strip()
    record_move(
        session,
        actor,
        rma,
        S.INSTALLED,
        now,
        f"New {rma.replacement_part.part_number} SN {serial} in {failed.slot};"
        f" the failed part (SN {failed.serial}) is removed and quarantined.",
    )
    if rma.kind != RmaKind.RETURN_AND_REPLACE.value:
        if rma.disposition == "retained":
            rma.retained_at = now
            record_move(
                session,
                actor,
                rma,
                S.RETAINED,
                now,
                f"Keep-your-drive: SN {failed.serial} stays with "
                f"{rma.organization.name}; a retention certificate is issued.",
            )
        else:
            rma.return_due_at = rules.return_due(now, return_days)
            record_move(
                session,
                actor,
                rma,
                S.RETURN_PENDING,
                now,
                f"Please return the defective part (SN {failed.serial}) with the prepaid label; "
                "see the RMA instructions.",
            )
    component = install_component(
        session,
        actor,
        asset,
        slot=failed.slot,
        part_number=rma.replacement_part.part_number,
        serial=serial,
        now=now,
        channel=channel,
        note=f"{rma.number}",
    )
    rma.installed_component_id = component.id
    session.commit()
    return component


class SerialMismatchUnconfirmed(CaseRuleError):
    """The returned serial is not the failed one: receiving needs an explicit confirmation."""

    def __init__(self, expected: str, returned: str) -> None:
        self.expected, self.returned = expected, returned
        super().__init__(
            f"The part received is SN {returned}, but this RMA expects SN {expected} (the failed part). "
            f"Check the label; if it really is SN {returned}, confirm that the part received is "
            f"SN {returned}, not SN {expected}.",
            details={
                "expected_serial": expected,
                "returned_serial": returned,
                "confirm_with": "confirm_serial_mismatch",
            },
        )


@detect_conflicts("RMA")
def receive_return(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    returned_serial: str,
    now: datetime,
    expected_version: int | None = None,
    confirm_mismatch: bool = False,
) -> FailureAnalysis:
    """Receiving checks the serial against the failed component. A different serial is
    refused unless ``confirm_mismatch`` says the receiver checked it; once accepted it is
    recorded with both serials, flagged on the case and sent to the owner and account team."""
    require_worker(actor)
    check_version(rma, expected_version)
    returned = rules.normalise_serial(returned_serial)
    if not returned:
        raise CaseRuleError("Enter the serial printed on the returned part.")
    transition(rma.kind, rma.state, S.RETURNED)
    expected = rma.failed_component.serial
    matches = rules.serial_matches(expected, returned)
    if not matches and not confirm_mismatch:
        raise SerialMismatchUnconfirmed(expected, returned)
    analysis = FailureAnalysis(
        asset_id=rma.asset_id,
        part_id=rma.failed_component.part_id,
        expected_serial=expected,
        returned_serial=returned,
        serial_matches=matches,
        received_at=now,
        received_by_id=actor.id,
    )
    rma.analysis = analysis
    shipment = rma.shipment("return")
    if shipment is not None and shipment.delivered_at is None:
        shipment.delivered_at = now
    note = (
        f"Received SN {returned}."
        if matches
        else (
            f"SERIAL MISMATCH: received SN {returned}, expected SN {expected}. {actor.name} confirmed the part "
            f"received is SN {returned}, not SN {expected}. Support will follow up."
        )
    )
    record_move(session, actor, rma, S.RETURNED, now, note)
    if not matches:
        notify(
            session,
            case_owner(session, rma.case) + account_managers_of(session, rma.organization_id),
            subject=f"{rma.number}: returned serial does not match",
            body=note,
            now=now,
            case_id=rma.case_id,
        )
    session.commit()
    return analysis


@detect_conflicts("RMA")
def analyse(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    result: str,
    failure_code: str = "",
    notes: str = "",
    now: datetime,
    expected_version: int | None = None,
) -> FailureAnalysis:
    require_worker(actor)
    check_version(rma, expected_version)
    if result not in ("confirmed", "no_fault_found"):
        raise CaseRuleError("The result is a confirmed failure or no fault found.")
    if result == "confirmed" and failure_code not in rules.FAILURE_CODES:
        raise CaseRuleError("A confirmed failure needs a failure code.")
    if rma.analysis is None:
        raise CaseRuleError("Receive the defective part before analysing it.")
    transition(rma.kind, rma.state, S.ANALYSED)
    fa = rma.analysis
    fa.result, fa.failure_code, fa.notes = result, failure_code if result == "confirmed" else "", notes.strip()[:4000]
    fa.analysed_at, fa.analysed_by_id = now, actor.id
    text = (
        f"Failure confirmed ({failure_code}: {rules.FAILURE_CODES[failure_code]})"
        if result == "confirmed"
        else "No fault found"
    ) + f" on SN {fa.returned_serial} ({rma.failed_component.part.part_number})."
    if not fa.serial_matches:
        text += (
            f" Serial mismatch: SN {fa.returned_serial} was received and analysed in place of the expected"
            f" SN {fa.expected_serial}."
        )
    record_move(session, actor, rma, S.ANALYSED, now, text + (f" {fa.notes}" if fa.notes else ""))
    session.commit()
    return fa


@detect_conflicts("RMA")
def retain(session: Session, actor: User, rma: Rma, *, now: datetime, expected_version: int | None = None) -> None:
    """The customer keeps a pending return after all: only with the keep-your-drive entitlement."""
    require_worker(actor)
    check_version(rma, expected_version)
    ent, _ = entitlement_for(session, rma.case, now)
    if "retained" not in rules.disposition_options(ent, rma.data_bearing, rma.kind):
        raise CaseRuleError("Keep-your-drive is not part of this contract: the part is returned or destroyed.")
    transition(rma.kind, rma.state, S.RETAINED)
    rma.disposition, rma.retained_at, rma.return_due_at = "retained", now, None
    record_move(session, actor, rma, S.RETAINED, now, "Keep-your-drive: a retention certificate is issued.")
    session.commit()


@detect_conflicts("RMA")
def close(session: Session, actor: User, rma: Rma, *, now: datetime, expected_version: int | None = None) -> None:
    require_worker(actor)
    check_version(rma, expected_version)
    record_move(session, actor, rma, S.CLOSED, now)
    session.commit()


@detect_conflicts("RMA")
def cancel(
    session: Session, actor: User, rma: Rma, *, reason: str, now: datetime, expected_version: int | None = None
) -> None:
    """Before installation only; the failed part stays failed and quarantined."""
    require_worker(actor)
    check_version(rma, expected_version)
    if not reason.strip():
        raise CaseRuleError("Say why the RMA is cancelled.")
    record_move(session, actor, rma, S.CANCELLED, now, reason.strip()[:500])
    session.commit()


# --- correcting a mistaken failed mark -----------------------------------------

#: While nothing has shipped, a support manager may correct an RMA's failed mark.
CORRECTABLE_STATES = (S.REQUESTED.value, S.APPROVED.value, S.CANCELLED.value)


def correction_of(session: Session, rma: Rma) -> ComponentCorrection | None:
    return session.scalar(
        select(ComponentCorrection)
        .where(ComponentCorrection.source == rma.number)
        .order_by(ComponentCorrection.id)
        .limit(1)
    )


def _quarantined_by(session: Session, rma: Rma) -> QuarantinedSerial | None:
    """The serial's quarantine row if this RMA put it there, else None."""
    row = session.get(QuarantinedSerial, rma.failed_component.serial)
    if row is None or rma.quarantine_added is False:
        return None
    if rma.quarantine_added is None:  # older RMA: the row opening wrote names the RMA and its moment
        made_here = (
            row.component_id == rma.failed_component_id
            and row.reason.endswith("(RMA)")
            and row.quarantined_at == rma.created_at
        )
        return row if made_here else None
    return row


def correction_blocker(session: Session, rma: Rma) -> str | None:
    """Why this RMA's failed mark cannot be corrected, or None when it can.

    Only before anything shipped (requested, approved, or cancelled with no shipment),
    never once the part came out, and only a mark this RMA made."""
    component = rma.failed_component
    part = f"{component.slot} (SN {component.serial})"
    done = correction_of(session, rma)
    if done is not None:
        return f"{rma.number}'s failed mark was already corrected on {done.created_at:%Y-%m-%d %H:%M} UTC."
    if component.state == "removed" or rma.installed_component_id is not None:
        return (
            f"{part} has been removed from {rma.asset.serial}: a part that came out is never corrected back "
            "into service."
        )
    if rma.shipments:
        legs = " and ".join(
            dict.fromkeys("the replacement" if s.direction == "out" else "the return leg" for s in rma.shipments)
        )
        return f"{rma.number} has shipped ({legs}): a failed mark can only be corrected before anything ships."
    if rma.state not in CORRECTABLE_STATES:
        return (
            f"{rma.number} is {rma.state}: a failed mark can only be corrected while the RMA is requested or "
            "approved, or cancelled before anything shipped."
        )
    if component.state != "failed":
        return f"{part} is {component.state}, not failed: there is no failed mark to correct."
    quarantined_before = (
        session.get(QuarantinedSerial, component.serial) is not None and _quarantined_by(session, rma) is None
    )
    if (rma.component_state_before or "active") == "failed" or quarantined_before:
        return (
            f"{part} was already failed or quarantined before {rma.number} was opened: this RMA did not mark "
            "it, so there is nothing of its own to correct."
        )
    other = session.scalar(
        select(Rma.number).where(
            Rma.failed_component_id == component.id,
            Rma.id != rma.id,
            Rma.state.not_in((S.CLOSED.value, S.CANCELLED.value)),
        )
    )
    if other:
        return f"{other} is open for {part}: cancel or correct that RMA first."
    return None


@detect_conflicts("RMA")
def correct_failed_mark(
    session: Session, actor: User, rma: Rma, *, reason: str, now: datetime, expected_version: int | None = None
) -> ComponentCorrection:
    """A support manager undoes a mistaken failed mark: the RMA is cancelled if still open,
    the component gets back the state it had before, the quarantine row this RMA wrote is
    deleted, the case says so in public, and the correction is kept for the Safety blocks page."""
    if actor.role not in MANAGERS:
        raise ForbiddenError("Only a support manager or an administrator can correct a failed mark.")
    check_version(rma, expected_version)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise CaseRuleError(
            "Say why the failed mark was a mistake (recorded on the case and on the Safety blocks page)."
        )
    blocker = correction_blocker(session, rma)
    if blocker:
        raise CaseRuleError(blocker)
    component, case = rma.failed_component, rma.case
    restored = rma.component_state_before or "active"
    row = _quarantined_by(session, rma)
    component.state = restored
    if row is not None:
        session.delete(row)
    session.flush()  # the safety guard reads the component's state and quarantine from the database
    was_open = rma.state != S.CANCELLED.value
    statement = (
        f"Correction by {actor.name}: {component.slot} (SN {component.serial}, "
        f"{component.part.part_number}) was marked failed by mistake. Its state is back to {restored}"
        f"{' and its serial is out of quarantine' if row is not None else ''}"
        f"{'; this RMA is cancelled' if was_open else ''}. Reason: {reason}"
    )
    if was_open:
        record_move(session, actor, rma, S.CANCELLED, now, statement)
    else:
        rma.updated_at = now
        record_note(session, actor, rma, statement, now, correction=True, serial=component.serial)
        tell(
            session,
            case,
            actor,
            kind="rma",
            what=f"{rma.number} failed mark corrected",
            body=f"{rma.number}: {statement}",
            now=now,
        )
    correction = ComponentCorrection(
        case_id=case.id,
        organization_id=rma.organization_id,
        component_id=component.id,
        actor_id=actor.id,
        source=rma.number,
        component_serial=component.serial,
        slot=component.slot,
        part_number=component.part.part_number,
        from_state="failed",
        restored_state=restored,
        cancelled_source=was_open,
        quarantine_lifted=row is not None,
        reason=reason,
        created_at=now,
    )
    session.add(correction)
    session.commit()
    return correction
