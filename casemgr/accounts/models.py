"""Set-password links (invitations and resets) and the account audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import Base

PURPOSES = ("invite", "reset")


class AccountLink(Base):
    """A single-use link that lets its user set a password: an invitation or a reset.

    Only the SHA-256 of the link's token is stored; the token itself is in the e-mail."""

    __tablename__ = "account_link"
    __table_args__ = (CheckConstraint("purpose IN ('invite', 'reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the token (256 random bits: no salt or stretching needed).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    #: Set when the link was used to set a password, or when a newer link replaced it.
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AccountEvent(Base):
    """Who did what to which account, through which channel (append-only)."""

    __tablename__ = "account_event"
    __table_args__ = (Index("ix_account_event_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account acted on.
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    #: Who acted: None for the command line's operator or for the account's own anonymous
    #: request (a reset asked for from the login page).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: invited, role_changed, deactivated, reactivated, password_reset_sent, password_set ...
    kind: Mapped[str] = mapped_column(String(32))
    #: web, api or cli.
    channel: Mapped[str] = mapped_column(String(8))
    #: What changed, in words ("role customer_user -> customer_admin").
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


def account_events_are_append_only(session: Session, _context, _instances) -> None:
    """The account audit trail is evidence (a ``before_flush`` listener: casemgr.app)."""
    for obj in list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]:
        if isinstance(obj, AccountEvent):
            raise RuntimeError("Account events are an audit trail: append-only.")
