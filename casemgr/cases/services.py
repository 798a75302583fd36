"""Case use cases after opening: status, severity, owner, closing, and the look-ups they need.
Each function checks policy, applies the rules, appends to the timeline, publishes its
domain event and commits once. Opening a case lives in ``casemgr.cases.opening``,
replies and notes in ``casemgr.cases.comments``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES
from casemgr.cases import rules, timeline
from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.watchers import tell, who
from casemgr.concurrency import detect_conflicts
from casemgr.errors import ConflictError, ForbiddenError
from casemgr.notifications.links import case_link
from casemgr.notifications.services import notify_of_case
from casemgr.organizations.models import AccountAssignment


def check_version(case: Case, expected_version: int | None) -> None:
    """A stale copy of the case is a 409 that says what changed: no silent overwrite."""
    if expected_version is not None and case.version != expected_version:
        raise ConflictError(
            f"{case.number} was changed by someone else since you opened it (your copy is version"
            f" {expected_version}, the case is now at version {case.version}). Reload to see the change,"
            " then try again."
        )


def _attach(
    session: Session,
    store: AttachmentStore,
    case: Case,
    event: CaseEvent | int | None,
    actor: User | None,
    uploads: Sequence[Upload],
    now: datetime,
) -> None:
    """``event``: the timeline entry the files come with, or its id."""
    link = {"event_id": event} if isinstance(event, int) else {"event": event}
    for upload in uploads:
        stored = store.save(upload)
        session.add(
            Attachment(
                case_id=case.id,
                filename=stored.filename,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by_id=actor.id if actor else None,
                created_at=now,
                **link,
            )
        )


def _set_status(
    session: Session,
    case: Case,
    actor: User | None,
    new: str,
    now: datetime,
    note: str = "",
    *,
    announce: bool = True,
) -> None:
    """The one place a case's status changes: a readable public entry (the new status in
    plain words, the old one, the note), the domain event, and (``announce``) the notice
    to the contacts: a vendor's change to the customer side, a customer's to the vendor."""
    old = case.status
    case.status = new
    case.updated_at = now
    if new == "waiting_customer":
        case.sla_paused_at = now
    elif old == "waiting_customer":
        case.sla_paused_at = None
    if new == "resolved":
        case.resolved_at = now
    elif new == "closed":
        case.closed_at = now
    elif old == "resolved":
        case.resolved_at = None
    body = rules.status_body(old, new, note)
    timeline.append(
        session,
        case,
        actor,
        "status_changed",
        now,
        public=True,
        body=body,
        data={"from": old, "to": new, "note": note},
    )
    events.publish(session, events.CaseStatusChanged(case.id, old, new, now))
    if announce:
        by_customer = actor is not None and policy.can_reply_as_customer(actor, case)
        tell(
            session,
            case,
            actor,
            kind="status",
            what=rules.STATUS_PLAIN[new],
            body=f"{who(actor)} changed the status of {case.number}: {body}",
            now=now,
            audience="vendor" if by_customer else "customer",
        )


@detect_conflicts("case")
def change_status(
    session: Session,
    actor: User,
    case: Case,
    *,
    new_status: str,
    expected_version: int | None,
    now: datetime,
    note: str = "",
) -> None:
    """``note``: what the customer reads with the change (e.g. the resolution)."""
    policy.require_case_worker(actor)
    check_version(case, expected_version)
    rules.check_vendor_status_move(case.status, new_status)
    note = rules.check_text("Note", note, rules.MAX_BODY, required=False)
    _set_status(session, case, actor, new_status, now, note=note)
    session.commit()


@detect_conflicts("case")
def change_severity(
    session: Session,
    actor: User,
    case: Case,
    *,
    severity: int,
    expected_version: int | None,
    now: datetime,
    reason: str = "",
) -> None:
    policy.require_case_worker(actor)
    check_version(case, expected_version)
    rules.check_severity(severity)
    if not case.is_open:
        raise CaseRuleError("Severity can only change while the case is open.")
    if severity == case.severity:
        raise CaseRuleError(f"The case is already severity {severity}.")
    old = case.severity
    case.severity = severity
    case.updated_at = now
    reason = reason.strip()[:500]
    body = rules.severity_body(old, severity, reason)
    timeline.append(
        session,
        case,
        actor,
        "severity_changed",
        now,
        public=True,
        body=body,
        data={"from": old, "to": severity, "reason": reason},
    )
    events.publish(session, events.CaseSeverityChanged(case.id, old, severity, now))
    tell(
        session,
        case,
        actor,
        kind="severity",
        what=f"Severity {'raised' if severity < old else 'lowered'} to {severity}",
        body=f"{actor.name} changed the severity of {case.number}: {body}",
        now=now,
    )
    session.commit()


@detect_conflicts("case")
def assign_owner(
    session: Session, actor: User, case: Case, *, owner_id: int, expected_version: int | None, now: datetime
) -> None:
    """Take ownership (owner is the actor) or hand the case to another engineer."""
    policy.require_case_worker(actor)
    check_version(case, expected_version)
    owner = session.get(User, owner_id)
    if owner is None or not policy.can_work_case(owner) or not owner.is_active:
        raise CaseRuleError("The new owner must be an active support engineer or manager.")
    if case.owner_id == owner.id:
        raise CaseRuleError(f"{owner.name} already owns this case.")
    old = case.owner.name if case.owner else None
    case.owner = owner  # the relationship, not only the id: what is read next sees the new owner
    case.updated_at = now
    if case.status == "new":
        _set_status(session, case, actor, "in_progress", now, note="taken by an engineer")
    timeline.append(session, case, actor, "owner_changed", now, public=False, data={"from": old, "to": owner.name})
    if owner.id != actor.id:
        notify_of_case(
            session,
            owner,
            case,
            subject=f"[{case.number}] Assigned to you by {actor.name}: {case.subject}",
            body=f"{actor.name} assigned {case.number} ({case.organization.name}, severity {case.severity}) to"
            f" you.\n\nOpen the case: {case_link(case.number)}\n",
            now=now,
            kind="watching",
        )
    session.commit()


def case_workers(session: Session) -> list[User]:
    """Who a case can be assigned to."""
    stmt = select(User).where(User.role.in_(sorted(CASE_WORKER_ROLES)), User.is_active_flag.is_(True))
    return list(session.scalars(stmt.order_by(User.name)))


def account_managers_of(session: Session, organization_id: int) -> list[User]:
    stmt = (
        select(User)
        .join(AccountAssignment, AccountAssignment.account_manager_id == User.id)
        .where(AccountAssignment.organization_id == organization_id)
        .order_by(User.name)
    )
    return list(session.scalars(stmt))


@detect_conflicts("case")
def close_case(
    session: Session,
    actor: User,
    case: Case,
    *,
    reason: str,
    expected_version: int | None,
    now: datetime,
    handoff_manager_id: int | None = None,
    handoff_path: str = "",
    note: str = "",
) -> None:
    """Close with a reason; end-of-support closes need a recorded hand-off."""
    policy.require_case_worker(actor)
    check_version(case, expected_version)
    note = rules.check_text("Note", note, rules.MAX_BODY, required=False)
    has_handoff = False
    if reason in rules.HANDOFF_REASONS:
        path = (handoff_path or "").strip()
        managers = {m.id: m for m in account_managers_of(session, case.organization_id)}
        if not managers:
            raise CaseRuleError("This organisation has no account manager assigned; assign one before handing off.")
        if handoff_manager_id not in managers:
            raise CaseRuleError("Choose the organisation's account manager to hand the case to.")
        if len(path) < 10:
            raise CaseRuleError("Describe the path offered to the customer (upgrade, trade-in, extended support...).")
        manager = managers[handoff_manager_id]
        timeline.append(
            session,
            case,
            actor,
            "handoff",
            now,
            public=True,
            body=f"Handed off to account manager {manager.name}. Path offered: {path}",
            data={"account_manager_id": manager.id, "account_manager": manager.name, "path": path},
        )
        has_handoff = True
    has_handoff = has_handoff or (
        session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.kind == "handoff").limit(1))
        is not None
    )
    product = case.asset.product if case.asset is not None else None
    required = rules.needs_handoff(
        case.asset_id is not None, case.entitled, product.end_of_support_on if product else None, now.date()
    )
    rules.check_close(case.status, reason, has_handoff, handoff_required=required)
    case.close_reason = reason
    _set_status(session, case, actor, "closed", now, note=rules.CLOSE_REASONS[reason] + (f": {note}" if note else ""))
    session.commit()


@detect_conflicts("case")
def confirm_resolution(
    session: Session, actor: User, case: Case, *, expected_version: int | None, now: datetime
) -> None:
    if not policy.can_reply_as_customer(actor, case):
        raise ForbiddenError("Only the customer confirms a resolution.")
    check_version(case, expected_version)
    rules.check_customer_confirm(case.status)
    case.close_reason = "confirmed"
    _set_status(session, case, actor, "closed", now, note="Customer confirmed the resolution")
    session.commit()
