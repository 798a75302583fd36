"""What inbound mail does to the database, one use case per function.

The exactly-once record (:class:`InboundMessage`) is added to the session before
the filing service commits, so both are written together or not at all; the
unique key makes a second delivery a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import timeline
from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.channels.models import InboundMessage
from casemgr.notifications.services import notify
from casemgr.organizations.models import Organization

log = logging.getLogger(__name__)

UNVERIFIED = "unverified sender"


def already_filed(session: Session, message_key: str) -> InboundMessage | None:
    return session.scalar(select(InboundMessage).where(InboundMessage.message_key == message_key))


def record(
    session: Session, *, message_key: str, sender: str | None, subject_key: str, outcome: str, now: datetime
) -> InboundMessage:
    """The exactly-once record, added to the caller's transaction (not committed here)."""
    row = InboundMessage(
        message_key=message_key[:300],
        sender=sender,
        subject_key=subject_key[:200],
        outcome=outcome,
        acknowledged=False,
        received_at=now,
    )
    session.add(row)
    return row


def acknowledged_recently(session: Session, sender: str, now: datetime, interval: timedelta) -> bool:
    """Has ``sender`` been sent an acknowledgement within ``interval``? (auto-reply damping)"""
    count = session.scalar(
        select(func.count())
        .select_from(InboundMessage)
        .where(
            InboundMessage.sender == sender,
            InboundMessage.acknowledged.is_(True),
            InboundMessage.received_at > now - interval,
        )
    )
    return bool(count)


def recent_case_of(
    session: Session, sender: str, now: datetime, interval: timedelta, subject_key: str | None = None
) -> Case | None:
    """The case the sender's latest message within ``interval`` was filed on (same subject if given)."""
    stmt = (
        select(Case)
        .join(InboundMessage, InboundMessage.case_id == Case.id)
        .where(InboundMessage.sender == sender, InboundMessage.received_at > now - interval)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(1)
    )
    if subject_key is not None:
        stmt = stmt.where(InboundMessage.subject_key == subject_key)
    return session.scalar(stmt)


def vendor_domains(session: Session) -> set[str]:
    """The mail domains of the vendor organisation's users."""
    emails = session.scalars(
        select(User.email).join(Organization, Organization.id == User.organization_id).where(Organization.is_vendor)
    )
    return {e.rpartition("@")[2].lower() for e in emails if "@" in e}


def organisation_domains(session: Session, organization_id: int) -> set[str]:
    """The mail domains of an organisation's users."""
    emails = session.scalars(select(User.email).where(User.organization_id == organization_id))
    return {e.rpartition("@")[2].lower() for e in emails if "@" in e}


def vendor_side(session: Session, case: Case) -> list[User]:
    """Who hears about the case on the vendor side: its owner or, unowned, its queue's engineers
    (the support managers when the queue has none)."""
    if case.owner_id is not None:
        owner = session.get(User, case.owner_id)
        if owner is not None and owner.is_active:
            return [owner]
    engineers = list(
        session.scalars(
            select(User)
            .where(User.role == Role.SUPPORT_ENGINEER, User.tier == case.queue, User.is_active_flag.is_(True))
            .order_by(User.id)
        )
    )
    return engineers or support_managers(session)


def support_managers(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.role == Role.SUPPORT_MANAGER, User.is_active_flag.is_(True)).order_by(User.id)
        )
    )


def attach(
    session: Session,
    store: AttachmentStore,
    case: Case,
    event: CaseEvent,
    uploads: Sequence[Upload],
    now: datetime,
    actor: User | None = None,
) -> None:
    for upload in uploads:
        stored = store.save(upload)
        session.add(
            Attachment(
                case_id=case.id,
                event=event,
                filename=stored.filename,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by_id=actor.id if actor else None,
                created_at=now,
            )
        )


def file_unverified(
    session: Session,
    store: AttachmentStore,
    case: Case,
    *,
    sender: str,
    sender_name: str,
    body: str,
    internal: bool,
    reason: str,
    uploads: Sequence[Upload],
    now: datetime,
    held_back: bool = False,
) -> CaseEvent:
    """A message whose sender is not authenticated: never lost, never under a user's name.

    ``internal``: an internal note marked "unverified sender" (a vendor-domain address,
    or someone who is not a contact of the case); otherwise a customer reply marked
    unverified, which the customer sees as such. Its author is unknown, so public text
    passes the safety guard like vendor text: a refusal raises
    :class:`~casemgr.safety.services.SafetyBlocked` (recorded, nothing stored), and the
    caller files it again as an internal note with ``held_back``. The vendor side
    (owner, or the queue) is told. Commits.
    """
    data = {
        "from": "unverified" if internal else "customer",
        "unverified": True,
        "sender": sender,
        "sender_name": sender_name,
        "reason": reason,
        "channel": "email",
    }
    public = not internal
    if held_back:
        data["held_back"] = "the safety guard refused this text in public"
    event = timeline.append(
        session,
        case,
        None,
        "comment",
        now,
        public=public,
        body=body,
        data=data,
        channel="email",
        flag_internal=True,
    )
    attach(session, store, case, event, uploads, now)
    case.updated_at = now
    who = f"{sender_name} <{sender}>" if sender_name else sender
    notify(
        session,
        vendor_side(session, case),
        subject=f"[{case.number}] E-mail from an unverified sender: {who}"[:300],
        body=f"An e-mail about {case.number} came from {who}, whose identity could not be verified ({reason}).\n"
        f"It is on the case as {'an internal note' if not public else 'a customer reply'} marked"
        f" '{UNVERIFIED}'. Check with the customer before acting on it.",
        now=now,
        case_id=case.id,
        severity=case.severity,
    )
    session.commit()
    log.info(
        "mail from %s filed on %s as an unverified %s (%s)", sender, case.number, "reply" if public else "note", reason
    )
    return event


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def note_left_out(
    session: Session, case: Case, left_out: Sequence[tuple[str, int]], limit: int, *, public: bool, now: datetime
) -> CaseEvent:
    """Attachments over the limit: named on the case with their size, never stored cut. Commits.

    The names are the sender's: in public they pass the safety guard, which may refuse
    (:class:`~casemgr.safety.services.SafetyBlocked`; the caller then notes them internally)."""
    lines = [f"- {name} ({size / (1024 * 1024):.1f} MB)" for name, size in left_out]
    event = timeline.append(
        session,
        case,
        None,
        "attachment_left_out",
        now,
        public=public,
        channel="email",
        body=f"{'This attachment was' if len(lines) == 1 else 'These attachments were'} left out because"
        f" {'it is' if len(lines) == 1 else 'they are'} over the {size_text(limit)} limit (nothing was cut):\n"
        + "\n".join(lines)
        + "\nPlease send large files another way (split them, or ask your engineer for an upload link).",
        data={"files": [{"filename": n, "size": s} for n, s in left_out], "limit": limit},
    )
    session.commit()
    log.info("mail attachments left out on %s: %s", case.number, ", ".join(n for n, _s in left_out))
    return event


def report_dead_letter(session: Session, *, path: str, reason: str, sender: str | None, now: datetime) -> None:
    """Tell the support managers a message could not be filed and where it is kept. Commits."""
    notify(
        session,
        support_managers(session),
        subject="An inbound e-mail could not be filed",
        body=f"An inbound e-mail{f' from {sender}' if sender else ''} could not be read ({reason}).\n"
        f"It is kept whole as {path}. Read it and file it by hand, then remove the file.",
        now=now,
    )
    session.commit()
