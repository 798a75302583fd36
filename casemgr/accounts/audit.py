"""The account audit trail: one row per change, and one log line saying who did what to whom."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.accounts.models import AccountEvent
from casemgr.auth.models import User

log = logging.getLogger("casemgr.accounts")

CHANNELS = ("web", "api", "cli")


def who(actor: User | None) -> str:
    return f"{actor.email} (user {actor.id})" if actor is not None else "the command line"


def record(
    session: Session,
    actor: User | None,
    target: User,
    kind: str,
    *,
    channel: str,
    now: datetime,
    detail: str = "",
    anonymous: bool = False,
) -> None:
    """Add the audit row to the caller's transaction and log the action.

    ``anonymous``: the request came from nobody logged in (a reset asked for on the login page)."""
    session.add(
        AccountEvent(
            user_id=target.id,
            organization_id=target.organization_id,
            actor_id=actor.id if actor is not None else None,
            kind=kind,
            channel=channel,
            detail=detail,
            created_at=now,
        )
    )
    by = "an anonymous request" if anonymous else who(actor)
    log.info(
        "%s: %s on %s (user %s) via %s%s", kind, by, target.email, target.id, channel, f": {detail}" * bool(detail)
    )


def history(session: Session, target: User, limit: int = 50) -> list[AccountEvent]:
    """The account's audit rows, newest first."""
    stmt = (
        select(AccountEvent)
        .where(AccountEvent.user_id == target.id)
        .order_by(AccountEvent.created_at.desc(), AccountEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
