"""Who did what to which set-up object: a row in ``admin_audit`` and a log line, both in
the transaction of the change (the row commits with it, or not at all)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.admin.models import AdminAudit
from casemgr.auth.models import User

log = logging.getLogger(__name__)

CHANNELS = ("web", "api", "cli")


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``"name: 'Acme' -> 'Acme Corp'; region: '' -> 'eu'"`` for the fields that differ."""
    return "; ".join(f"{key}: {before[key]!r} -> {after[key]!r}" for key in after if before.get(key) != after[key])


def record(
    session: Session,
    actor: User,
    action: str,
    obj: Any,
    *,
    summary: str,
    channel: str,
    now: datetime,
) -> AdminAudit:
    """Add the audit row for ``obj`` (flushed, so it has an id) and log the same words."""
    if channel not in CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}.")
    session.flush()  # a new object gets its id
    entry = AdminAudit(
        at=now,
        actor_id=actor.id,
        action=action,
        object_type=object_type(obj),
        object_id=obj.id,
        channel=channel,
        summary=summary,
    )
    session.add(entry)
    log.info(
        "%s (user %s) %s %s %s via %s: %s",
        actor.email,
        actor.id,
        action,
        entry.object_type,
        obj.id,
        channel,
        summary or "no change",
    )
    return entry


def object_type(obj: Any) -> str:
    return {"SupportPlan": "plan"}.get(type(obj).__name__, obj.__tablename__)


def trail(session: Session, obj: Any) -> list[AdminAudit]:
    """The audit entries of ``obj``, oldest first."""
    stmt = (
        select(AdminAudit)
        .where(AdminAudit.object_type == object_type(obj), AdminAudit.object_id == obj.id)
        .order_by(AdminAudit.id)
    )
    return list(session.scalars(stmt))
