"""Queue notifications inside the caller's transaction; deliver e-mail later."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.bulk import bulk_insert, insert_at_commit
from casemgr.notifications.models import Notification
from casemgr.notifications.preferences import email_delivery, modes_of
from casemgr.notifications.senders import Sender

_NOTIFICATION_TABLE = Notification.__table__

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, capped at 2 hours: a mail server outage never loses mail."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


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
    stmt = (
        select(Notification)
        .where(Notification.user_id == actor.id, Notification.channel == "in_app")
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


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


def deliver_due(session: Session, sender: Sender, now: datetime, batch: int = 50) -> tuple[int, int]:
    """Send due e-mail; failures back off and stay queued. Returns (sent, failed attempts)."""
    sent = failed = 0
    while True:
        rows = list(
            session.scalars(
                select(Notification)
                .where(
                    Notification.status == "pending",
                    Notification.channel == "email",
                    Notification.next_attempt_at <= now,
                )
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:
            session.commit()
            return sent, failed
        for row in rows:
            row.attempts += 1
            try:
                sender.send(to=row.email or "", subject=row.subject, body=row.body)
            except Exception as exc:  # any transport error: keep the mail, retry later
                failed += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                    log.error(
                        "notification %s to %s gave up after %s attempts: %s",
                        row.id,
                        row.email,
                        row.attempts,
                        row.last_error,
                    )
                else:
                    row.next_attempt_at = now + backoff(row.attempts)
            else:
                sent += 1
                row.status, row.sent_at, row.last_error = "sent", now, None
        session.commit()
