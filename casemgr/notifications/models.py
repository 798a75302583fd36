"""The notification outbox: in-app messages and e-mails, written in the same
transaction as what caused them and delivered after commit, with retries.

An e-mail is ``pending`` until it is ``sent`` or a support manager ``discarded`` it:
there is no terminal failure. A sender claims a due row with a lease
(``claimed_by``/``claimed_until``), commits, sends outside any transaction and then
records the result; a crashed sender's lease expires and the row is due again."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base

STATUSES = ("pending", "sent", "discarded")


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("channel IN ('in_app', 'email')", name="channel"),
        CheckConstraint("status IN ('pending', 'sent', 'discarded')", name="status"),
        Index("ix_notification_user_created", "user_id", "created_at"),
        # The sender's sweep reads only undelivered e-mail, by due time.
        Index(
            "ix_notification_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("uq_notification_message_id", "message_id", unique=True),
        # The digest job reads only the messages still waiting for a digest.
        Index(
            "ix_notification_held",
            "user_id",
            postgresql_where=text("held_for_digest AND digested_at IS NULL"),
            sqlite_where=text("held_for_digest AND digested_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: For e-mail to people without an account (inbound senders, contacts).
    email: Mapped[str | None] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"), index=True)
    severity: Mapped[int | None]
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not before this instant: retries back off, and low-severity mail waits for coverage hours.
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    #: The e-mail's ``Message-ID`` (set when it is first claimed, then kept for every retry).
    message_id: Mapped[str | None] = mapped_column(String(250))
    #: The ``Message-ID`` it answers: the previous mail of its case to the same recipient.
    in_reply_to: Mapped[str | None] = mapped_column(String(250))
    #: The lease of the sender that claimed it (a random token) and when that lease ends.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    discarded_at: Mapped[datetime | None]
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: What it is about (casemgr.notifications.preferences.KINDS), for the user's preferences.
    kind: Mapped[str | None] = mapped_column(String(32))
    #: An in-app message whose e-mail waits for the user's daily digest (until digested_at).
    #: A server default only: rows queued for one combined INSERT need not name it (casemgr.bulk).
    held_for_digest: Mapped[bool] = mapped_column(server_default=text("false"))
    digested_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """How one user hears about one kind of case change; no row means immediately."""

    __tablename__ = "notification_preference"
    __table_args__ = (CheckConstraint("mode IN ('immediate', 'digest', 'in_app')", name="mode"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class NotificationDigest(Base):
    """One daily digest e-mail per user and day: the row is the exactly-once claim."""

    __tablename__ = "notification_digest"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    day: Mapped[date]
    items: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime]
