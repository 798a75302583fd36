"""Outbound mail is real mail, and the outbox never loses it.

Every test delivers through SmtpSender to a real SMTP server on 127.0.0.1
(tests/smtp_sink.py), on SQLite and PostgreSQL, with the clock injected."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select, update

from casemgr.channels import mail_ids
from casemgr.db import new_session
from casemgr.notifications.mail import MailSettings
from casemgr.notifications.models import Notification
from casemgr.notifications.senders import SmtpSender
from casemgr.notifications.services import (
    LONGEST_BACKOFF,
    MAX_ATTEMPTS,
    Delivery,
    claim_due,
    deliver_due,
    lease_of,
    notify,
    queue_email,
)
from tests.integration.conftest import T0
from tests.smtp_sink import SmtpSink

REPLY_TO = "support@example.com"


@pytest.fixture
def sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def settings(app):
    app.config.update(MAIL_REPLY_TO=REPLY_TO, BASE_URL="https://support.example.com/")
    return MailSettings.from_config(app.config)


@pytest.fixture
def case(session, world, store):
    from casemgr.cases import opening

    return opening.open_case(
        session,
        world.user("acme_admin"),
        store,
        asset_serial="ACME-001",
        severity=1,
        subject="Array offline",
        description="Both controllers down",
        now=T0,
    )


def emails(session):
    session.expire_all()
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.channel == "email")
            .order_by(Notification.created_at, Notification.id)
        )
    )


def test_every_mail_of_a_case_is_real_mail_that_threads_and_routes_replies_back(session, world, case, sink, settings):
    customer = world.user("acme_admin")
    for i, at in enumerate((T0 + timedelta(minutes=5), T0 + timedelta(minutes=9)), start=1):
        notify(session, [customer], subject=f"Update {i}", body=f"Reply {i}\nsecond line", now=at, case_id=case.id)
    session.commit()
    assert deliver_due(session, SmtpSender(sink.url), T0 + timedelta(minutes=10), settings) == Delivery(3, 0)

    rows, messages = emails(session), sink.messages
    assert [m["To"] for m in messages] == ["admin@acme.example.com"] * 3
    root = mail_ids.thread_root_id(settings.secret, case.number, "casemgr.invalid")
    ids = [m["Message-ID"] for m in messages]
    assert ids == [r.message_id for r in rows], "each Message-ID is the one stored on its outbox row"
    assert len(set(ids)) == 3 and all(case.number in i for i in ids)
    assert all(mail_ids.case_in_message_ids(settings.secret, i) == case.number for i in ids), "signed case number"
    # The acknowledgement answers the thread root; each later mail answers the one before it.
    assert messages[0]["In-Reply-To"] == root and messages[0]["References"] == root
    assert [m["In-Reply-To"] for m in messages[1:]] == ids[:2]
    assert [m["References"] for m in messages[1:]] == [f"{root} {ids[0]}", f"{root} {ids[1]}"]
    for message, row in zip(messages, rows, strict=True):
        assert message["Auto-Submitted"] == "auto-generated"
        assert parsedate_to_datetime(message["Date"]) == row.created_at
        assert f"[{case.number}" in message["Subject"]
        assert mail_ids.case_in_reply_address(settings.secret, REPLY_TO, message["Reply-To"]) == case.number
        assert message["Reply-To"].startswith("support+cs-")
        assert message.get_content_type() == "multipart/alternative"
        text, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
        link = f"https://support.example.com/cases/{case.number}"
        assert link in text and f'href="{link}"' in html
    assert "Reply 2\nsecond line" in messages[2].get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_mail_to_an_address_without_an_account_threads_too_and_mail_without_a_case_has_no_thread(
    session, world, case, sink, settings
):
    queue_email(session, to="someone@partner.example", subject="We received it", body="b", now=T0, case_id=case.id)
    notify(session, [world.user("manager")], subject="Daily digest", body="d", now=T0)
    session.commit()
    deliver_due(session, SmtpSender(sink.url), T0, settings)
    by_to = {m["To"]: m for m in sink.messages}
    root = mail_ids.thread_root_id(settings.secret, case.number, "casemgr.invalid")
    assert by_to["someone@partner.example"]["In-Reply-To"] == root
    digest = by_to["mgr@vendor.example.com"]
    assert digest["In-Reply-To"] is None and digest["References"] is None
    assert digest["Reply-To"] == REPLY_TO and digest["Message-ID"].endswith("@casemgr.invalid>")
    assert digest["Auto-Submitted"] == "auto-generated" and digest["Date"]


def test_user_text_never_reaches_a_header_or_the_markup(session, world, case, sink, settings):
    notify(
        session,
        [world.user("acme_admin")],
        subject="Hi\r\nBcc: victim@evil.example\r\nX-Evil: 1",
        body='<script>alert(1)</script> <a href="javascript:x">click</a> & "quotes"',
        now=T0,
        case_id=case.id,
    )
    session.commit()
    deliver_due(session, SmtpSender(sink.url), T0, settings)
    evil = sink.received[-1]
    assert evil.rcpt_tos == ["admin@acme.example.com"], "no injected recipient"
    assert evil.message["Bcc"] is None and evil.message["X-Evil"] is None
    assert evil.message["Subject"] == f"[{case.number}] Hi Bcc: victim@evil.example X-Evil: 1"
    html = evil.message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html and "&amp; &#34;quotes&#34;" in html


def test_an_smtp_outage_keeps_mail_pending_past_the_old_limit_until_the_relay_returns(
    session, world, case, sink, settings
):
    sink.stop()
    relay, at = SmtpSender(sink.url, timeout=5), T0
    rounds = MAX_ATTEMPTS + 4
    for _ in range(rounds):
        assert deliver_due(session, relay, at, settings) == Delivery(0, 1)
        (row,) = emails(session)
        at = row.next_attempt_at
    assert (row.status, row.attempts) == ("pending", rounds)
    assert "ConnectionRefusedError" in row.last_error
    assert deliver_due(session, relay, at - timedelta(seconds=1), settings) == Delivery(0, 0), "not before its time"
    # The backoff grew to its cap and stays there.
    gaps = []
    first_id = row.message_id
    sink.start()
    sink.refuse = "451 4.3.0 mailbox busy, try later"  # back, but refusing for a while
    for _ in range(2):
        assert deliver_due(session, relay, at, settings) == Delivery(0, 1)
        (row,) = emails(session)
        gaps.append(row.next_attempt_at - at)
        at = row.next_attempt_at
    assert gaps == [LONGEST_BACKOFF, LONGEST_BACKOFF] and "451" in row.last_error
    sink.refuse = None
    assert deliver_due(session, relay, at, settings) == Delivery(1, 0)
    (row,) = emails(session)
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("sent", rounds + 3, None, at)
    assert [m["Message-ID"] for m in sink.messages] == [first_id], "one delivery, with the id it had from the start"


class CrashAfter:
    """Delivers through the real sender, then 'crashes' after the n-th message is handed over,
    before its result is recorded (a BaseException, as a killed process never gets to record)."""

    class Crash(BaseException):
        pass

    def __init__(self, sender, n: int) -> None:
        self.sender, self.n, self.count = sender, n, 0

    def send(self, message) -> None:
        self.sender.send(message)
        self.count += 1
        if self.count == self.n:
            raise self.Crash()


def test_a_crash_between_send_and_record_resends_only_the_message_in_flight(app, world, case, sink, settings):
    users = [world.user(k) for k in ("acme_user", "engineer", "manager")]
    s = new_session(app, write=True)
    notify(s, users, subject="Status: in progress", body="We are working on it", now=T0, case_id=case.id)
    s.commit()
    s.close()
    crashing = new_session(app, write=True)
    with pytest.raises(CrashAfter.Crash):
        deliver_due(crashing, CrashAfter(SmtpSender(sink.url), 2), T0, settings)
    crashing.close()  # the process is gone: its open work with it
    assert len(sink.messages) == 2
    in_flight = sink.messages[1]["Message-ID"]

    survivor = new_session(app, write=True)
    # the claims were staggered, a minute per place in the batch: the message in flight (the
    # second) is due again after two minutes, the last of the four after four
    assert deliver_due(survivor, SmtpSender(sink.url), T0 + lease_of(1) - timedelta(seconds=1), settings) == Delivery(
        0, 0
    ), "the crashed sender's claim holds until its lease ends"
    assert deliver_due(survivor, SmtpSender(sink.url), T0 + lease_of(1), settings) == Delivery(1, 0)
    assert deliver_due(survivor, SmtpSender(sink.url), T0 + lease_of(3), settings) == Delivery(2, 0)
    assert lease_of(3) == timedelta(minutes=4), "a crashed sender holds nothing up for long"
    ids = [m["Message-ID"] for m in sink.messages]
    assert len(ids) == 5 and len(set(ids)) == 4, "4 e-mails (3 people and the acknowledgement)"
    assert [i for i in set(ids) if ids.count(i) > 1] == [in_flight], "only the message in flight went twice"
    assert {r.status for r in emails(survivor)} == {"sent"}
    survivor.close()


def test_a_claim_is_a_lease_that_commits_and_expires(app, session, world, case, settings):
    token, claimed = claim_due(session, settings, T0, lease=timedelta(minutes=5))
    assert [m.to for m in claimed] == ["admin@acme.example.com"]
    other = new_session(app, write=True)  # the claim is committed: another sender sees it at once
    assert claim_due(other, settings, T0 + timedelta(minutes=4), lease=timedelta(minutes=5))[1] == []
    again_token, again = claim_due(other, settings, T0 + timedelta(minutes=5))
    assert [m.message_id for m in again] == [m.message_id for m in claimed], "same Message-ID on the retry"
    assert again_token != token
    (row,) = emails(other)
    assert (row.attempts, row.claimed_by, row.status) == (2, again_token, "pending")
    other.close()


@pytest.mark.commits  # senders in threads, each on its own connection
def test_several_senders_side_by_side_send_each_message_once(app, world, case, sink, settings):
    s = new_session(app, write=True)
    users = [world.user(k) for k in ("acme_user", "engineer", "engineer2", "field", "account", "manager", "admin")]
    for i in range(6):
        notify(s, users, subject=f"Update {i}", body="b", now=T0, case_id=case.id)
    s.commit()
    total = len(emails(s))
    s.close()
    results: list[Delivery] = []

    def run() -> None:
        with new_session(app, write=True) as own:
            results.append(deliver_due(own, SmtpSender(sink.url), T0, settings, batch=5))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [m["Message-ID"] for m in sink.messages]
    assert total == 43 and len(ids) == total and len(set(ids)) == total
    assert sum(r.sent for r in results) == total and len(results) == 3


def test_discarded_mail_is_never_sent_and_a_retry_is_due_at_once(session, world, case, sink, settings):
    from casemgr.notifications import outbox

    manager = world.user("manager")
    (row,) = emails(session)
    session.execute(update(Notification).values(next_attempt_at=T0 + timedelta(hours=2), last_error="x"))
    session.commit()
    outbox.retry_now(session, manager, row.id, T0)
    notify(session, [world.user("acme_user")], subject="x", body="y", now=T0, case_id=case.id)
    session.commit()
    second = emails(session)[1]
    outbox.discard(session, manager, second.id, T0)
    assert deliver_due(session, SmtpSender(sink.url), T0, settings) == Delivery(1, 0)
    assert [m["To"] for m in sink.messages] == ["admin@acme.example.com"]
    rows = emails(session)
    assert [(r.status, r.discarded_by_id) for r in rows] == [("sent", None), ("discarded", manager.id)]
    assert rows[1].discarded_at == T0


def test_severity_1_pages_survive_an_outage_through_the_scheduler_tick_and_thread_on_their_case(
    app, session, world, case, sink, clock
):
    from escalation.defaults import seed_default_ladders
    from escalation.scheduler import tick

    seed_default_ladders(session)
    app.config.update(SMTP_URL=sink.url, MAIL_REPLY_TO=REPLY_TO)
    sink.stop()
    clock.advance(timedelta(minutes=31))  # "Remind the owner" and "Page L2 on call" are due
    for _ in range(MAX_ATTEMPTS + 2):  # 20 hours without a relay: past the old limit
        tick(app)
        clock.advance(LONGEST_BACKOFF)
    session.expire_all()
    pages = [r for r in emails(session) if "Escalation:" in r.subject]
    assert pages and {r.status for r in pages} == {"pending"}
    assert max(r.attempts for r in pages) >= MAX_ATTEMPTS + 1
    sink.start()
    tick(app)
    assert {r.status for r in emails(session)} == {"sent"}
    settings = MailSettings.from_config(app.config)
    delivered = [m for m in sink.messages if "Escalation:" in m["Subject"]]
    assert len(delivered) == len([r for r in emails(session) if "Escalation:" in r.subject])
    for message in delivered:
        assert mail_ids.case_in_message_ids(settings.secret, message["In-Reply-To"]) == case.number
        assert message["References"].startswith(
            mail_ids.thread_root_id(settings.secret, case.number, "casemgr.invalid")
        )
        assert message["Subject"].startswith(f"[{case.number} S1] Escalation:")
