"""The outbox: mail is never lost, failures back off, the in-app list is per user."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from casemgr.notifications.mail import MailSettings
from casemgr.notifications.models import Notification
from casemgr.notifications.senders import MaildirSender
from casemgr.notifications.services import (
    LONGEST_BACKOFF,
    MAX_ATTEMPTS,
    Delivery,
    deliver_due,
    inbox,
    inbox_with_cases,
    mark_all_read,
    notify,
    unread_count,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class RefusingRelay:
    """A relay that is down: every send raises, as smtplib does."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message) -> None:
        self.calls += 1
        raise ConnectionRefusedError("relay down")


def test_a_failed_delivery_backs_off_and_is_delivered_when_the_relay_returns(app, session, world, tmp_path):
    settings = MailSettings.from_config(app.config)
    notify(session, [world.user("engineer")], subject="S1 paged", body="CS-000001", now=T0)
    session.commit()
    relay = RefusingRelay()
    assert deliver_due(session, relay, T0, settings) == Delivery(0, 1)
    row = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, T0 + timedelta(minutes=1))
    assert "relay down" in row.last_error
    assert deliver_due(session, relay, T0 + timedelta(seconds=30), settings) == Delivery(0, 0), "not before backoff"
    deliver_due(session, relay, T0 + timedelta(minutes=1), settings)
    session.expire_all()
    assert row.next_attempt_at == T0 + timedelta(minutes=3)
    maildir = tmp_path / "mail"
    assert deliver_due(session, MaildirSender(maildir), T0 + timedelta(minutes=3), settings) == Delivery(1, 0)
    session.expire_all()
    assert session.scalar(select(Notification.status).where(Notification.channel == "email")) == "sent"
    messages = list(mailbox.Maildir(maildir))
    assert len(messages) == 1 and messages[0]["To"] == "eng@vendor.example.com"
    assert messages[0]["Subject"] == "S1 paged" and messages[0]["Auto-Submitted"] == "auto-generated"


def test_past_the_old_last_attempt_a_notification_stays_pending_at_the_longest_backoff(app, session, world):
    settings = MailSettings.from_config(app.config)
    notify(session, [world.user("engineer")], subject="x", body="y", now=T0)
    session.commit()
    relay, at = RefusingRelay(), T0
    for _ in range(MAX_ATTEMPTS * 2):
        deliver_due(session, relay, at, settings)
        at += timedelta(hours=3)
    session.expire_all()
    row = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert (row.status, row.attempts) == ("pending", MAX_ATTEMPTS * 2)
    assert row.next_attempt_at == at - timedelta(hours=3) + LONGEST_BACKOFF
    assert deliver_due(session, relay, at, settings) == Delivery(0, 1), "still tried"


def test_the_in_app_list_is_personal_and_can_be_marked_read(session, world):
    engineer, manager = world.user("engineer"), world.user("manager")
    notify(session, [engineer, engineer, manager], subject="Heads up", body="b", now=T0, email=False)
    session.commit()
    assert [n.subject for n in inbox(session, engineer)] == ["Heads up"], "one message per person, not per mention"
    assert unread_count(session, engineer) == 1
    assert mark_all_read(session, engineer, T0) == 1
    assert unread_count(session, engineer) == 0 and unread_count(session, manager) == 1


def test_the_in_app_list_names_the_case_of_each_message(session, world, failed_case):
    rows = inbox_with_cases(session, world.user("acme_admin"))
    assert [(n.case_id, number) for n, number in rows] == [(failed_case.id, failed_case.number)]
    notify(session, [world.user("acme_admin")], subject="No case", body="b", now=T0, email=False)
    session.commit()
    assert [number for _n, number in inbox_with_cases(session, world.user("acme_admin"))] == [None, failed_case.number]
