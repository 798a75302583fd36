"""The defective part's way back: the customer ships it, the return is received (its serial
checked against the failed one), analysed, or retained under keep-your-drive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.roles import CUSTOMER_ROLES
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.services import account_managers_of
from casemgr.concurrency import detect_conflicts
from casemgr.errors import NotFoundError
from casemgr.notifications.services import notify
from rma import rules
from rma.lifecycle import (
    case_owner,
    check_version,
    record_move,
    record_note,
    require_field_or_worker,
    require_worker,
)
from rma.models import FailureAnalysis, Rma, Shipment
from rma.services import S, entitlement_for, tracking_fields
from rma.states import RmaKind, transition


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
    carrier, tracking = tracking_fields(carrier, tracking)
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
