"""Queue notifications inside the caller's transaction; deliver e-mail later.

Delivery never loses a message: it is retried, backing off up to the longest
backoff and then at that interval, until it is sent or a support manager discards
it (:mod:`casemgr.notifications.outbox`). A sender claims due rows with a lease and
commits, sends each outside any transaction, and records each result in a short
transaction of its own: a crash re-sends at most the message in flight, with the
same ``Message-ID`` (receivers dedupe on it), once the crashed sender's lease ends."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.bulk import bulk_insert, insert_at_commit
from casemgr.cases.models import Case
from casemgr.notifications.mail import MailSettings, Outbound, build_message, new_message_id
from casemgr.notifications.models import Notification
from casemgr.notifications.preferences import email_delivery, modes_of
from casemgr.notifications.senders import Sender

_NOTIFICATION_TABLE = Notification.__table__

log = logging.getLogger(__name__)

#: Webhook deliveries give up after this many attempts (casemgr.channels.webhooks); e-mail never does.
MAX_ATTEMPTS = 8
#: The longest wait between two attempts: an e-mail that keeps failing is retried this often, forever.
LONGEST_BACKOFF = timedelta(hours=2)
#: A sender's claim on the e-mails of its batch, in the order it sends them: the first for
#: this long, each next one this much longer (a send takes well under a minute, even with
#: an SMTP server that answers each step just inside the 20 s timeout). A crashed sender's
#: unsent mail is due again within minutes, not when a long lease on the whole batch ends:
#: a Severity 1 page is never held up for half an hour.
CLAIM_LEASE = timedelta(minutes=1)
DELIVERY_BATCH = 10


def lease_of(position: int, lease: timedelta = CLAIM_LEASE) -> timedelta:
    """How long the claim on the ``position``-th e-mail of a batch (from 0) lasts."""
    return lease * (position + 1)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, capped at the longest backoff (2 hours): after that, every 2 hours."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 16)), LONGEST_BACKOFF)


def one_line(text: str) -> str:
    """Text fit for a mail header: no CR, LF or other control characters (no header injection)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())


def notification_rows(
    users: Iterable[User],
    *,
    subject: str,
    body: str,
    now: datetime,
    case_id: int | None = None,
    severity: int | None = None,
    email_not_before: datetime | None = None,
    email: bool = True,
    kind: str | None = None,
    modes: dict[int, str] | None = None,
) -> list[dict]:
    """The rows :func:`notify` writes, as plain values, for callers that insert many at once.

    ``modes`` (user id -> preference mode, :mod:`casemgr.notifications.preferences`) decides
    each user's e-mail: sent now, held for the daily digest (the in-app row is marked
    ``held_for_digest``), or none; without it every user is mailed now."""
    rows: list[dict] = []
    seen: set[int] = set()
    common = {
        "case_id": case_id,
        "severity": severity,
        "subject": one_line(subject)[:300],
        "body": body,
        "created_at": now,
        "attempts": 0,
        "kind": kind,
    }
    for user in users:
        if user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        delivery = email_delivery(modes.get(user.id, "immediate"), severity) if modes is not None else "now"
        rows.append(
            {
                **common,
                "user_id": user.id,
                "email": None,
                "channel": "in_app",
                "status": "sent",
                "sent_at": now,
                "next_attempt_at": now,
                "held_for_digest": email and delivery == "digest",
            }
        )
        if email and delivery == "now":
            rows.append(
                {
                    **common,
                    "user_id": user.id,
                    "email": user.email,
                    "channel": "email",
                    "status": "pending",
                    "sent_at": None,
                    "next_attempt_at": max(email_not_before or now, now),
                    "held_for_digest": False,
                }
            )
    return rows


def notify(
    session: Session,
    users: Iterable[User],
    *,
    subject: str,
    body: str,
    now: datetime,
    case_id: int | None = None,
    severity: int | None = None,
    email_not_before: datetime | None = None,
    email: bool = True,
    kind: str | None = None,
) -> int:
    """One in-app message per user, plus an e-mail through the outbox; returns the rows written.

    ``email_not_before`` holds the e-mail (never the in-app message) until then,
    e.g. until coverage hours start for a low-severity case. With ``kind`` (one of
    :data:`casemgr.notifications.preferences.KINDS`) each user's preference for it
    decides the e-mail (one query): now, in the daily digest, or none; Severity 1
    always mails now. The rows are plain values written when the caller commits, with
    the transaction's other queued rows (:func:`casemgr.bulk.insert_at_commit`):
    nothing reads them back before.
    """
    users = [u for u in users if u.is_active]
    modes = modes_of(session, (u.id for u in users), kind) if kind is not None and email and users else None
    rows = notification_rows(
        users,
        subject=subject,
        body=body,
        now=now,
        case_id=case_id,
        severity=severity,
        email_not_before=email_not_before,
        email=email,
        kind=kind,
        modes=modes,
    )
    insert_at_commit(session, _NOTIFICATION_TABLE, rows)
    return len(rows)


def notify_of_case(
    session: Session, user: User, case: Case, *, subject: str, body: str, now: datetime, kind: str | None = None
) -> int:
    """One person told about ``case`` (its opener, its new owner, a new watcher, a thanked
    engineer): :func:`notify` with the case and its severity, which decide the e-mail's timing."""
    return notify(
        session, [user], subject=subject, body=body, now=now, case_id=case.id, severity=case.severity, kind=kind
    )


def insert_notifications(session: Session, rows: list[dict]) -> None:
    """Write notification rows in one statement (one message, or an escalation runner's batch)."""
    bulk_insert(session, _NOTIFICATION_TABLE, rows)


def queue_email(
    session: Session, *, to: str, subject: str, body: str, now: datetime, case_id: int | None = None
) -> Notification:
    """An e-mail to an address without an account (acknowledgements to inbound senders)."""
    row = Notification(
        email=to,
        channel="email",
        case_id=case_id,
        subject=subject[:300],
        body=body,
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def inbox(session: Session, actor: User, limit: int = 100) -> list[Notification]:
    return [n for n, _number in inbox_with_cases(session, actor, limit)]


def inbox_with_cases(session: Session, actor: User, limit: int = 100) -> list[tuple[Notification, str | None]]:
    """The actor's in-app messages, newest first, each with the number of its case (or None)."""
    stmt = (
        select(Notification, Case.number)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(Notification.user_id == actor.id, Notification.channel == "in_app")
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return [(n, number) for n, number in session.execute(stmt)]


def unread_count(session: Session, actor: User) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.channel == "in_app", Notification.read_at.is_(None))
    )
    return session.scalar(stmt) or 0


def mark_all_read(session: Session, actor: User, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.channel == "in_app", Notification.read_at.is_(None))
        .values(read_at=now)
    )
    assert isinstance(result, CursorResult)  # what an UPDATE returns: it has the rowcount
    session.commit()
    return result.rowcount or 0


@dataclass(frozen=True)
class Delivery:
    """What one pass of :func:`deliver_due` did."""

    sent: int = 0
    failed: int = 0


def _due(now: datetime):
    return (
        Notification.status == "pending",
        Notification.channel == "email",
        Notification.next_attempt_at <= now,
        or_(Notification.claimed_until.is_(None), Notification.claimed_until <= now),
    )


def claim_due(
    session: Session,
    settings: MailSettings,
    now: datetime,
    *,
    batch: int = DELIVERY_BATCH,
    lease: timedelta = CLAIM_LEASE,
) -> tuple[str, list[Outbound]]:
    """Claim up to ``batch`` due e-mails for one sender and COMMIT: (its lease token, the mails).

    PostgreSQL skips rows another sender has locked (``FOR UPDATE SKIP LOCKED``); on
    SQLite the write session's ``BEGIN IMMEDIATE`` serialises the claims. Each claim
    counts as an attempt, gives the row its ``Message-ID`` once (kept for every retry)
    and the ``Message-ID`` of the previous mail of its case to the same recipient."""
    token = secrets.token_hex(16)
    rows = session.execute(
        select(
            Notification.id,
            Notification.email,
            Notification.subject,
            Notification.body,
            Notification.created_at,
            Notification.case_id,
            Notification.message_id,
            Notification.in_reply_to,
            Case.number,
        )
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(*_due(now))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Notification)
    ).all()
    claimed: list[Outbound] = []
    # In the order they were written, so that each answers the one written before it.
    for position, (row_id, email, subject, body, created_at, case_id, message_id, in_reply_to, number) in enumerate(
        sorted(rows, key=lambda r: (r.created_at, r.id))
    ):
        if message_id is None:
            message_id = new_message_id(settings, f"{row_id}.{secrets.token_hex(4)}", number)
            in_reply_to = _previous_message_id(session, row_id, created_at, case_id, email) if case_id else None
        result = session.execute(
            update(Notification)
            .where(Notification.id == row_id, *_due(now))
            .values(
                claimed_by=token,
                claimed_until=now + lease_of(position, lease),
                attempts=Notification.attempts + 1,
                message_id=message_id,
                in_reply_to=in_reply_to,
            )
        )
        assert isinstance(result, CursorResult)
        if result.rowcount == 1:
            claimed.append(Outbound(row_id, email or "", subject, body, created_at, message_id, in_reply_to, number))
    session.commit()
    return token, claimed


def _previous_message_id(
    session: Session, row_id: int, created_at: datetime, case_id: int, email: str | None
) -> str | None:
    """The Message-ID of the latest mail of the case to the same address written before this one."""
    return session.scalar(
        select(Notification.message_id)
        .where(
            Notification.case_id == case_id,
            Notification.channel == "email",
            Notification.email == email,
            Notification.message_id.is_not(None),
            or_(
                Notification.created_at < created_at,
                and_(Notification.created_at == created_at, Notification.id < row_id),
            ),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(1)
    )


def record_sent(session: Session, notification_id: int, now: datetime) -> None:
    """Sent: whoever holds the claim now (a lease that ran out may have passed to another sender)."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == "pending")
        .values(status="sent", sent_at=now, last_error=None, claimed_by=None, claimed_until=None)
    )
    session.commit()


def record_failure(session: Session, token: str, notification_id: int, error: str, now: datetime) -> None:
    """Not sent: kept pending, due again after its backoff (only while this sender holds the claim)."""
    attempts = session.scalar(select(Notification.attempts).where(Notification.id == notification_id)) or 1
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.claimed_by == token, Notification.status == "pending")
        .values(last_error=error[:2000], next_attempt_at=now + backoff(attempts), claimed_by=None, claimed_until=None)
    )
    session.commit()


def deliver_due(
    session: Session,
    sender: Sender,
    now: datetime,
    settings: MailSettings,
    *,
    batch: int = DELIVERY_BATCH,
    lease: timedelta = CLAIM_LEASE,
) -> Delivery:
    """Send the due e-mail, batch after batch; a failure backs off and stays queued.

    The session holds no transaction while a message is on the wire: claim and commit,
    send, then record each result in a transaction of its own."""
    sent = failed = 0
    while True:
        token, claimed = claim_due(session, settings, now, batch=batch, lease=lease)
        if not claimed:
            return Delivery(sent, failed)
        for mail in claimed:
            try:
                sender.send(build_message(settings, mail))
            except Exception as exc:  # any transport or address error: keep the mail, retry later
                failed += 1
                error = f"{type(exc).__name__}: {exc}"
                log.warning("e-mail %s to %s not sent (will retry): %s", mail.notification_id, mail.to, error)
                record_failure(session, token, mail.notification_id, error, now)
            else:
                sent += 1
                record_sent(session, mail.notification_id, now)
