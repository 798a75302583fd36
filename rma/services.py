"""RMA use cases. Each takes (session, actor, ..., now), checks who may act, moves the
state only through ``rma.states.transition``, appends a public case event per move,
notifies the case owner and the customer, and commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset, Component, Part, QuarantinedSerial
from casemgr.assets.serials import checked_serial
from casemgr.assets.services import install_component, quarantine
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases import timeline
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.watchers import tell
from casemgr.concurrency import detect_conflicts
from casemgr.contracts.services import active_contract_for
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.notifications.services import notify
from casemgr.numbering import next_value
from rma import rules
from rma.lifecycle import (
    check_version,
    record_move,
    require_field_or_worker,
    require_worker,
    tracking_url,
)
from rma.models import Rma, Shipment
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


def tracking_fields(carrier: str, tracking: str) -> tuple[str, str]:
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
    carrier, tracking = tracking_fields(carrier, tracking)
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
    if not serial.strip():
        raise CaseRuleError("Enter the new part's serial number.")
    serial = checked_serial(serial)
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
