"""A support manager's correction of a failed mark made by mistake (while nothing has shipped):
the component's state before comes back, the RMA is cancelled, the quarantine lifted; an audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import QuarantinedSerial
from casemgr.auth.models import User
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.watchers import tell
from casemgr.concurrency import detect_conflicts
from casemgr.errors import ForbiddenError
from casemgr.safety.models import ComponentCorrection
from rma.lifecycle import (
    check_version,
    record_move,
    record_note,
)
from rma.models import Rma
from rma.services import MANAGERS, S

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
