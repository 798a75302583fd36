from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import Base

CHANNELS = ("public_reply", "action_plan", "install", "api", "cli")


class SafetyBlock(Base):
    """One refused attempt: who tried what, where, and which rule stopped it (append-only)."""

    __tablename__ = "safety_block"
    __table_args__ = (Index("ix_safety_block_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Where it was tried: public_reply, action_plan, install (web), api, cli.
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    rule_code: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    safe_alternative: Mapped[str] = mapped_column(Text)
    component_serial: Mapped[str | None] = mapped_column(String(64))
    #: The refused text (the sentence, the step or the install request), kept for learning.
    attempted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    actor: Mapped[User | None] = relationship()


@event.listens_for(Session, "before_flush")
def _blocks_are_append_only(session: Session, _context, _instances) -> None:
    for obj in list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]:
        if isinstance(obj, SafetyBlock):
            raise RuntimeError("Safety blocks are an audit trail: append-only.")
