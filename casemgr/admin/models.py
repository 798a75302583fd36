"""The audit trail of set-up changes: who did what to which object, kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import Base


class AdminAudit(Base):
    """One set-up action (organisation renamed, site added, account manager assigned...)."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: "created", "updated", "assigned", "unassigned".
    action: Mapped[str] = mapped_column(String(32))
    #: "organization", "site", "part", "product", "plan", "contract".
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int]
    #: Where it came from: "web", "api" or "cli".
    channel: Mapped[str] = mapped_column(String(8))
    #: What changed, in words ("name: 'Acme' -> 'Acme Corp'").
    summary: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User] = relationship()
