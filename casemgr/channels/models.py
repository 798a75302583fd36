from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base


class AlertLink(Base):
    """One case per monitoring alert fingerprint, so repeated deliveries never duplicate it."""

    __tablename__ = "alert_link"
    __table_args__ = (UniqueConstraint("organization_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    fingerprint: Mapped[str] = mapped_column(String(128))
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    #: firing or resolved, as last reported.
    status: Mapped[str] = mapped_column(String(16))
    deliveries: Mapped[int] = mapped_column(default=1)
    last_seen_at: Mapped[datetime]


class WebhookEndpoint(Base):
    """Where an organisation wants its case events POSTed, signed with its own secret."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    #: HMAC-SHA256 key. It must be kept to sign; it is shown to its owner once, at creation.
    secret: Mapped[str] = mapped_column(String(100))
    #: Comma-separated event types, e.g. "case.opened,case.status_changed"; "*" for all.
    events: Mapped[str] = mapped_column(String(500), default="*")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one endpoint: queued in the transaction, sent with retries, logged."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    #: The exact JSON body that is signed and sent.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class InboundMessage(Base):
    """One received e-mail, filed exactly once: its ``Message-ID`` (or, without one, the
    sha256 of the whole message) is unique, written in the transaction that files it, so
    a re-delivered or re-fetched message is a no-op. It also remembers who was
    acknowledged when, to damp automatic replies per sender."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("message_key"),
        Index("ix_inbound_message_sender_received", "sender", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``mid:<Message-ID>`` or ``sha256:<hex of the raw message>``.
    message_key: Mapped[str] = mapped_column(String(300))
    #: The From address as written (lower case), or None when it had none usable.
    sender: Mapped[str | None] = mapped_column(String(254))
    #: The subject without Re:/Fwd:/auto-reply prefixes, for joining repeats.
    subject_key: Mapped[str] = mapped_column(String(200), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"), index=True)
    #: reply, note, unverified, case, triage, ignored
    outcome: Mapped[str] = mapped_column(String(16))
    #: An acknowledgement was queued to the sender for this message.
    acknowledged: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime]
