"""The outbox: mail is never lost, failures back off, the in-app list is per user."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from casemgr.notifications.models import Notification
from casemgr.notifications.senders import MaildirSender
from casemgr.notifications.services import MAX_ATTEMPTS, deliver_due, inbox, mark_all_read, notify, unread_count
from tests.factories import create_user

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class RefusingRelay:
    """A relay that is down: every send raises, as smtplib does."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, *, to: str, subject: str, body: str) -> None:
        self.calls += 1
        raise ConnectionRefusedError("relay down")


def test_a_failed_delivery_backs_off_and_is_delivered_when_the_relay_returns(session, tmp_path):
    notify(
        session, [create_user(session, email="eng@vendor.example.com")], subject="S1 paged", body="CS-000001", now=T0
    )
    session.commit()
    relay = RefusingRelay()
    assert deliver_due(session, relay, T0) == (0, 1)
    row = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, T0 + timedelta(minutes=1))
    assert "relay down" in row.last_error
    assert deliver_due(session, relay, T0 + timedelta(seconds=30)) == (0, 0), "not retried before its backoff"
    deliver_due(session, relay, T0 + timedelta(minutes=1))
    assert row.next_attempt_at == T0 + timedelta(minutes=3)
    maildir = tmp_path / "mail"
    assert deliver_due(session, MaildirSender(maildir, "support@casemgr.invalid"), T0 + timedelta(minutes=3)) == (1, 0)
    session.expire_all()
    assert session.scalar(select(Notification.status).where(Notification.channel == "email")) == "sent"
    messages = list(mailbox.Maildir(maildir))
    assert len(messages) == 1 and messages[0]["To"] == "eng@vendor.example.com"
    assert messages[0]["Subject"] == "S1 paged" and messages[0]["Auto-Submitted"] == "auto-generated"


def test_after_the_last_attempt_a_notification_is_kept_as_failed_not_dropped(session):
    notify(session, [create_user(session)], subject="x", body="y", now=T0)
    session.commit()
    relay, at = RefusingRelay(), T0
    for _ in range(MAX_ATTEMPTS):
        deliver_due(session, relay, at)
        at += timedelta(hours=3)
    row = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert deliver_due(session, relay, at + timedelta(days=1)) == (0, 0)


def test_the_in_app_list_is_personal_and_can_be_marked_read(session):
    engineer, manager = create_user(session), create_user(session, "support_manager")
    notify(session, [engineer, engineer, manager], subject="Heads up", body="b", now=T0, email=False)
    session.commit()
    assert [n.subject for n in inbox(session, engineer)] == ["Heads up"], "one message per person, not per mention"
    assert unread_count(session, engineer) == 1
    assert mark_all_read(session, engineer, T0) == 1
    assert unread_count(session, engineer) == 0 and unread_count(session, manager) == 1
