"""`casemgr mail ingest` on real message files, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.notifications.models import Notification

MAIL = Path(__file__).resolve().parent.parent / "data" / "mail"


@pytest.fixture
def ingest(app, world):
    runner = app.test_cli_runner()

    def run(name: str):
        return runner.invoke(args=["mail", "ingest"], input=(MAIL / name).read_bytes(), catch_exceptions=False)

    return run


def acks(session) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.channel == "email").order_by(Notification.id)))


def test_a_known_sender_naming_a_serial_opens_a_case_on_that_asset(ingest, session, world):
    result = ingest("plain_known_sender.eml")
    assert result.exit_code == 0 and result.output.startswith("case CS-000001")
    case = session.scalar(select(Case))
    assert (case.asset_id, case.severity, case.channel, case.entitled) == (world.acme_asset.id, 2, "email", True)
    assert "Bay 3 shows an amber LED" in case.description
    [ack] = acks(session)
    assert ack.email == "admin@acme.example.com" and "CS-000001" in ack.subject


def test_attachments_are_kept(ingest, session):
    assert ingest("multipart_attachment.eml").exit_code == 0
    attachment = session.scalar(select(Attachment))
    assert attachment.filename == "ctrl0.log" and attachment.size == len(b"2026-11-02T01:00Z ctrl0: watchdog reset\n")


def test_a_subject_with_a_case_number_becomes_a_public_reply(ingest, session):
    ingest("plain_known_sender.eml")
    result = ingest("reply_with_number.eml")
    assert result.output.startswith("reply CS-000001")
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    reply = session.scalar(select(CaseEvent).where(CaseEvent.kind == "comment"))
    assert reply.public and "rebuild stopped at 43 %" in reply.body


@pytest.mark.parametrize("name,reason", [("auto_reply.eml", "Auto-Submitted"), ("bounce.eml", "mailer daemon")])
def test_auto_replies_and_bounces_are_kept_but_never_answered(ingest, session, name, reason):
    ingest("plain_known_sender.eml")
    before = len(acks(session))
    result = ingest(name)
    assert result.exit_code == 0 and result.output.startswith("ignored") and reason in result.output
    assert len(acks(session)) == before, "no acknowledgement: nothing can loop"
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "comment")) == 0
    assert session.scalar(select(Case.status).where(Case.number == "CS-000001")) == "new"


def test_an_unknown_sender_gets_a_triage_case_and_an_acknowledgement(ingest, session, world):
    result = ingest("unknown_sender.eml")
    assert result.exit_code == 0 and result.output.startswith("triage CS-000001")
    case = session.scalar(select(Case))
    assert case.asset_id is None and case.organization_id == world.vendor.id and case.entitled is False
    [ack] = acks(session)
    assert ack.email == "someone@unknown.example.org" and "CS-000001" in ack.body


def test_an_unknown_sender_cannot_reply_into_someone_elses_case(ingest, session, app):
    ingest("plain_known_sender.eml")
    forged = (MAIL / "reply_with_number.eml").read_bytes().replace(b"admin@acme.example.com", b"evil@else.example.org")
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=forged)
    assert result.output.startswith("triage CS-000002")
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "comment")) == 0


def test_a_malformed_message_is_refused_with_a_reason_not_a_traceback(ingest):
    result = ingest("malformed.eml")
    assert result.exit_code == 65 and "no sender address" in result.output


def test_a_sender_who_may_read_but_not_reply_is_filed_as_a_case_not_a_failed_ingest(ingest, session, app):
    """The account manager (read-only on the case) writes to it: the message still becomes a case."""
    ingest("plain_known_sender.eml")
    theirs = (MAIL / "reply_with_number.eml").read_bytes().replace(b"admin@acme.example.com", b"am@vendor.example.com")
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=theirs, catch_exceptions=False)
    assert result.exit_code == 0 and result.output.split()[1] == "CS-000002"
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "comment")) == 0
