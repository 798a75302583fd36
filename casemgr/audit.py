"""The administration audit trail: who changed which configuration object, when, and how.

Cases keep their own timeline (``CaseEvent``) and accounts theirs (``AccountEvent``);
configuration (organisations, sites, catalogue, plans, contracts, coverage calendars,
escalation ladders, asset imports) has no case to hang on, so its changes are rows
here, written in the transaction of the change, and a log line each.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import Base

log = logging.getLogger("casemgr.audit")


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    #: None: the system (a job finishing on its own thread, the first run).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: "calendar.created", "calendar.holidays_added", "ladder.step_saved", "assets.imported" ...
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    #: Where it came from: "web", "api" or "cli" ("system" for a job of its own).
    channel: Mapped[str] = mapped_column(String(8), default="web")
    #: What changed, in words ("3 holidays added: 2026-12-24, ...").
    summary: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


def record(
    session: Session,
    actor,
    action: str,
    object_type: str,
    object_id: int | None,
    summary: str,
    now: datetime,
    channel: str = "web",
) -> AuditEntry:
    """Add an audit entry (committed with the change) and log the same line."""
    entry = AuditEntry(
        at=now,
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        channel=channel,
        summary=summary,
    )
    session.add(entry)
    who = actor.email if actor is not None else "system"
    log.info("%s %s %s %s: %s", who, action, object_type, object_id if object_id is not None else "-", summary)
    return entry
