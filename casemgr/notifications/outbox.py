"""The outbox as support managers see it: depth, the oldest message waiting, the
failing messages, and what they may do to one (retry now, or discard it).

Only support managers and admins see it; anyone else gets the same 404 as for a
page that does not exist. Every action is logged with who did what to which message."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.errors import ConflictError, NotFoundError
from casemgr.notifications.models import Notification

log = logging.getLogger(__name__)

VIEWERS = frozenset({Role.SUPPORT_MANAGER, Role.ADMIN})


def require_viewer(actor: User) -> None:
    if actor.role not in VIEWERS:
        raise NotFoundError("No such page.")


@dataclass(frozen=True)
class OutboxEntry:
    notification: Notification
    case_number: str | None


@dataclass(frozen=True)
class OutboxState:
    depth: int
    oldest_pending_at: datetime | None
    oldest_age: timedelta | None
    failing: list[OutboxEntry] = field(default_factory=list)


def _pending_email():
    return (Notification.channel == "email", Notification.status == "pending")


def outbox_state(session: Session, actor: User, now: datetime, limit: int = 200) -> OutboxState:
    """The pending e-mail: how many, since when, and the ones whose last attempt failed
    (most attempts first)."""
    require_viewer(actor)
    depth, oldest = session.execute(
        select(func.count(), func.min(Notification.created_at)).where(*_pending_email())
    ).one()
    rows = session.execute(
        select(Notification, Case.number)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(*_pending_email(), Notification.last_error.is_not(None))
        .order_by(Notification.attempts.desc(), Notification.created_at, Notification.id)
        .limit(limit)
    ).all()
    return OutboxState(
        depth=depth or 0,
        oldest_pending_at=oldest,
        oldest_age=(now - oldest) if oldest is not None else None,
        failing=[OutboxEntry(n, number) for n, number in rows],
    )


def _pending(session: Session, actor: User, notification_id: int) -> Notification:
    require_viewer(actor)
    row = session.get(Notification, notification_id)
    if row is None or row.channel != "email":
        raise NotFoundError(f"No e-mail {notification_id} in the outbox.")
    if row.status != "pending":
        raise ConflictError(f"E-mail {notification_id} is already {row.status}; only a pending e-mail can change.")
    return row


def retry_now(session: Session, actor: User, notification_id: int, now: datetime) -> Notification:
    """Make a pending e-mail due at once (the next delivery pass sends it)."""
    row = _pending(session, actor, notification_id)
    row.next_attempt_at = now
    session.commit()
    log.info(
        "%s (user %s) asked to retry e-mail %s to %s now (attempts so far: %s)",
        actor.email,
        actor.id,
        row.id,
        row.email,
        row.attempts,
    )
    return row


def discard(session: Session, actor: User, notification_id: int, now: datetime) -> Notification:
    """Give up on a pending e-mail, on purpose: it is kept, marked discarded with who and when."""
    row = _pending(session, actor, notification_id)
    row.status, row.discarded_at, row.discarded_by_id = "discarded", now, actor.id
    row.claimed_by = row.claimed_until = None
    session.commit()
    log.warning(
        "%s (user %s) discarded e-mail %s to %s after %s attempts (last error: %s)",
        actor.email,
        actor.id,
        row.id,
        row.email,
        row.attempts,
        row.last_error,
    )
    return row
