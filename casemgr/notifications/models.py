"""The notification outbox: in-app messages and e-mails, written in the same
transaction as what caused them and delivered after commit, with retries.

An e-mail is ``pending`` until it is ``sent`` or a support manager ``discarded`` it:
there is no terminal failure. A sender claims a due row with a lease
(``claimed_by``/``claimed_until``), commits, sends outside any transaction and then
records the result; a crashed sender's lease expires and the row is due again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
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
