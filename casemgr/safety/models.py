from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
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


class ComponentCorrection(Base):
    """A component marked failed by mistake, put back by a support manager (append-only).

    ``source`` names what marked it failed (an RMA number): the RMA area writes these
    rows, the core only lists them, so there is no foreign key into ``rma``."""

    __tablename__ = "component_correction"
    __table_args__ = (Index("ix_component_correction_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    source: Mapped[str] = mapped_column(String(32), index=True)
    #: The component as it was named when corrected: serial, slot, part number.
    component_serial: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(32))
    part_number: Mapped[str] = mapped_column(String(64))
    #: The state the mistake set (failed) and the one the correction restored.
    from_state: Mapped[str] = mapped_column(String(16))
    restored_state: Mapped[str] = mapped_column(String(16))
    #: What else the correction undid: the RMA cancelled, the serial's quarantine lifted.
    cancelled_source: Mapped[bool] = mapped_column(default=False)
    quarantine_lifted: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    actor: Mapped[User | None] = relationship()


def audit_is_append_only(session: Session, _context, _instances) -> None:
    """Safety blocks and corrections are evidence (a ``before_flush`` listener: casemgr.app)."""
    for obj in list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]:
        if isinstance(obj, SafetyBlock):
            raise RuntimeError("Safety blocks are an audit trail: append-only.")
        if isinstance(obj, ComponentCorrection):
            raise RuntimeError("Component corrections are an audit trail: append-only.")
