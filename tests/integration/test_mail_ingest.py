"""`casemgr mail ingest` on real message files (tests/data/mail), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.channels.mail import ingest
from casemgr.channels.mail_routing import MailSettings
from casemgr.channels.models import InboundMessage
from casemgr.notifications.models import Notification

MAIL = Path(__file__).resolve().parent.parent / "data" / "mail"
TRUSTED = "mx.casemgr.example.com"


@pytest.fixture
def mail_app(app, tmp_path):
    app.config.update(
        MAIL_REPLY_TO="support@casemgr.example.com",
        MAIL_TRUSTED_AUTHSERV=(TRUSTED,),
        MAIL_DEAD_LETTER_DIR=str(tmp_path / "dead-letter"),
    )
    return app


@pytest.fixture
def ingest_cli(mail_app, world):
    runner = mail_app.test_cli_runner()

    def run(name: str | bytes):
        data = name if isinstance(name, bytes) else (MAIL / name).read_bytes()
        return runner.invoke(args=["mail", "ingest"], input=data, catch_exceptions=False)

    return run


@pytest.fixture
def acme_case(ingest_cli):
    """CS-000001, opened by Acme's admin by e-mail (DMARC pass from our MTA) on ACME-001."""
    result = ingest_cli("dmarc_trusted_new_case.eml")
    assert result.exit_code == 0 and result.output.startswith("case CS-000001"), result.output
    return "CS-000001"


def acks(session) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.channel == "email", Notification.user_id.is_(None))
            .order_by(Notification.id)
        )
    )


def comments(session) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.kind == "comment").order_by(CaseEvent.id)))


def cases(session) -> int:
    return session.scalar(select(func.count()).select_from(Case))


def in_app(session, user) -> list[Notification]:
    return list(
        session.scalars(select(Notification).where(Notification.user_id == user.id, Notification.channel == "in_app"))
    )


# -- which case --------------------------------------------------------------------------


def test_a_dmarc_authenticated_sender_naming_a_serial_opens_a_case_on_that_asset(acme_case, session, world):
    case = session.scalar(select(Case))
    assert (case.asset_id, case.severity, case.channel, case.entitled) == (world.acme_asset.id, 2, "email", True)
    assert case.opened_by_id == world.user("acme_admin").id
    assert "Bay 3 shows an amber LED" in case.description
    opened = session.scalar(select(CaseEvent).where(CaseEvent.kind == "opened"))
    [original] = opened.attachments
    assert original.filename == "original-message.eml" and original.content_type == "message/rfc822"


def test_a_reply_threads_by_its_signed_in_reply_to_and_loses_the_quoted_history(acme_case, ingest_cli, session, world):
    """Threading is not authentication: a signed In-Reply-To finds the case, the sender stays unverified."""
    result = ingest_cli("reply_by_headers.eml")
    assert result.exit_code == 0 and result.output.startswith("unverified CS-000001 found by headers"), result.output
    [reply] = comments(session)
    assert reply.public and reply.actor_id is None and reply.data["unverified"]
    assert reply.body == "The controller log shows the same reset again at 10:02."
    assert [a.filename for a in reply.attachments] == ["original-message.eml"]


def test_a_reply_to_the_signed_reply_address_is_authenticated_and_loses_its_signature(
    acme_case, ingest_cli, session, world
):
    result = ingest_cli("reply_by_address.eml")
    assert result.output.startswith("reply CS-000001 found by reply address; the case's reply address"), result.output
    [reply] = comments(session)
    assert reply.actor_id == world.user("acme_admin").id and reply.public
    assert reply.body == "We replaced the cable as suggested; the link is up again."


def test_a_subject_tag_alone_is_not_authentication_the_reply_is_filed_unverified(acme_case, ingest_cli, session):
    result = ingest_cli("reply_with_number.eml")
    assert result.output.startswith("unverified CS-000001 found by subject; customer reply"), result.output
    [reply] = comments(session)
    assert reply.public and reply.actor_id is None
    assert reply.data["unverified"] is True and reply.data["sender"] == "admin@acme.example.com"
    assert "rebuild stopped at 43 %" in reply.body


def test_the_subject_tag_takes_any_number_of_digits(acme_case, ingest_cli, session):
    data = (MAIL / "reply_with_number.eml").read_bytes().replace(b"[CS-000001]", b"[CS-0000001]")
    assert ingest_cli(data).output.startswith("unverified CS-000001 found by subject")
    data = data.replace(b"CS-0000001", b"CS-1234567").replace(b"reply-1@", b"reply-2@")
    result = ingest_cli(data)  # no such case: a new one, naming it
    assert result.output.startswith("triage CS-000002")
    assert "(The subject refers to CS-1234567.)" in session.scalar(
        select(Case.description).where(Case.number == "CS-000002")
    )


def test_dmarc_pass_from_the_trusted_authserv_posts_under_the_senders_name(acme_case, ingest_cli, session, world):
    result = ingest_cli("dmarc_trusted_reply.eml")
    assert result.output.startswith("reply CS-000001 found by subject; DMARC pass"), result.output
    [reply] = comments(session)
    assert reply.actor_id == world.user("acme_admin").id and reply.body.startswith("The rebuild finished overnight.")


def test_dmarc_pass_from_an_untrusted_authserv_counts_for_nothing(acme_case, ingest_cli, session, world):
    result = ingest_cli("dmarc_untrusted_authserv.eml")
    assert result.output.startswith("unverified CS-000001"), result.output
    [reply] = comments(session)
    assert reply.actor_id is None and reply.data["unverified"] is True
    # the case has no owner: its queue's engineers are told (none have a tier here: the managers)
    told = in_app(session, world.user("manager"))
    assert any("unverified sender" in n.subject for n in told)


# -- spoofed senders ----------------------------------------------------------------------


def test_a_spoofed_engineer_never_becomes_a_public_vendor_reply(acme_case, ingest_cli, session, world):
    result = ingest_cli("spoofed_staff.eml")
    assert result.exit_code == 0 and result.output.startswith("unverified CS-000001"), result.output
    assert "internal note" in result.output
    [note] = comments(session)
    assert note.public is False and note.actor_id is None
    assert note.data["unverified"] is True and note.data["sender"] == "eng@vendor.example.com"
    assert (
        session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.public, CaseEvent.kind == "comment"))
        == 0
    )


def test_the_reply_address_does_not_authenticate_staff(acme_case, ingest_cli, session):
    """The customer holds the reply address too: a mail "from" an engineer to it stays an unverified note."""
    result = ingest_cli("spoofed_staff_reply_address.eml")
    assert result.output.startswith("unverified CS-000001 found by reply address; internal note"), result.output
    [note] = comments(session)
    assert not note.public and note.actor_id is None


def test_an_engineer_authenticated_by_dmarc_adds_an_internal_note_under_their_name(
    acme_case, ingest_cli, session, world
):
    header = b"Authentication-Results: mx.casemgr.example.com; dmarc=pass header.from=vendor.example.com\n"
    result = ingest_cli(header + (MAIL / "spoofed_staff_reply_address.eml").read_bytes())
    assert result.output.startswith("note CS-000001"), result.output
    [note] = comments(session)
    assert not note.public and note.actor_id == world.user("engineer").id


def test_a_spoofed_customer_is_filed_as_an_unverified_customer_reply_and_the_owner_is_told(
    acme_case, ingest_cli, session, world
):
    case = session.scalar(select(Case))
    case.owner_id = world.user("engineer2").id
    session.commit()
    result = ingest_cli("spoofed_customer.eml")
    assert result.output.startswith("unverified CS-000001 found by subject; customer reply"), result.output
    [reply] = comments(session)
    assert reply.public and reply.actor_id is None and reply.data["sender_name"] == "Ana Admin"
    [told] = [n for n in in_app(session, world.user("engineer2")) if "unverified" in n.subject]
    assert told.case_id == case.id and "admin@acme.example.com" in told.subject


def test_a_stranger_guessing_a_case_number_reaches_staff_only(acme_case, ingest_cli, session):
    result = ingest_cli("stranger_with_case_number.eml")
    assert result.output.startswith("unverified CS-000001 found by subject; internal note"), result.output
    [note] = comments(session)
    assert not note.public and note.data["sender"] == "mallory@else.example.org"


def test_the_case_page_marks_an_unverified_reply(acme_case, ingest_cli, web):
    ingest_cli("spoofed_customer.eml")
    page = web("admin@acme.example.com").get("/cases/CS-000001").get_data(as_text=True)
    assert "unverified sender" in page and "admin@acme.example.com" in page


# -- the content -------------------------------------------------------------------------


def test_forwarded_mail_keeps_what_was_forwarded(ingest_cli, session):
    result = ingest_cli("forwarded.eml")
    assert result.output.startswith("case CS-000001"), result.output
    description = session.scalar(select(Case.description))
    assert "FYI, our monitoring sent this overnight." in description
    assert "SMART predictive failure on ACME-001-D3" in description


def test_html_only_mail_becomes_text_without_markup_or_script(acme_case, ingest_cli, session):
    assert ingest_cli("html_only.eml").output.startswith("reply CS-000001")
    [reply] = comments(session)
    assert "The array is stable since the firmware update." in reply.body
    assert "no resets" in reply.body and "<" not in reply.body and "alert(1)" not in reply.body
    assert "color: red" not in reply.body


def test_an_unknown_charset_decodes_with_a_fallback(acme_case, ingest_cli, session):
    result = ingest_cli("unknown_charset.eml")
    assert result.exit_code == 0 and result.output.startswith("reply CS-000001"), result.output
    [reply] = comments(session)
    assert "cluster is back" in reply.body and "outage attached" in reply.body


def test_nul_bytes_are_removed(acme_case, ingest_cli, session):
    result = ingest_cli("nul_bytes.eml")
    assert result.exit_code == 0 and result.output.startswith("reply CS-000001"), result.output
    [reply] = comments(session)
    assert reply.body == "The log has binary junk: ctrl0 reset at 10:02."


def test_an_attachment_over_the_limit_is_left_out_with_a_note_never_cut(mail_app, acme_case, ingest_cli, session):
    mail_app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    result = ingest_cli("huge_attachment.eml")
    assert result.exit_code == 0 and "attachments left out" in result.output, result.output
    [reply] = comments(session)
    assert sorted(a.filename for a in reply.attachments) == ["original-message.eml", "smart.txt"]
    note = session.scalar(select(CaseEvent).where(CaseEvent.kind == "attachment_left_out"))
    assert note.public and "ctrl-dump.bin (0.3 MB)" in note.body and "over the 256 KB limit" in note.body
    assert note.data["files"] == [{"filename": "ctrl-dump.bin", "size": 300 * 1024}]
    assert (
        session.scalar(select(func.count()).select_from(Attachment).where(Attachment.filename == "ctrl-dump.bin")) == 0
    )


def test_a_large_message_is_streamed_to_the_store(mail_app, world, session, tmp_path, clock):
    """A 30 MB attachment: decoded a chunk at a time; Python's peak allocation stays a small
    multiple of the message (its parser holds the encoded text once)."""
    payload = os.urandom(30 * 1024 * 1024)
    body = base64.encodebytes(payload)
    raw = (
        b"From: Ana Admin <admin@acme.example.com>\nTo: support+cs-000001.p3tz3yqsijfdsxy5@casemgr.example.com\n"
        b"Subject: big\nMessage-ID: <big-1@acme.example.com>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nthe dump\n--B\n'
        b'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="dump.bin"\n'
        b"Content-Transfer-Encoding: base64\n\n" + body + b"--B--\n"
    )
    path = tmp_path / "big.eml"
    path.write_bytes(raw)
    del body
    store = LocalAttachmentStore(tmp_path / "files", 64 * 1024 * 1024)
    settings = MailSettings.from_config(mail_app.config)
    ingest(session, (MAIL / "dmarc_trusted_new_case.eml").read_bytes(), store, clock.now(), settings)
    tracemalloc.start()
    with path.open("rb") as source:
        outcome = ingest(session, source, store, clock.now(), settings)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert outcome.action == "reply", outcome
    stored = session.scalar(select(Attachment).where(Attachment.filename == "dump.bin"))
    assert stored.size == len(payload)
    assert store.path_for(stored.sha256).read_bytes() == payload
    assert peak < 3.5 * len(raw), f"peak {peak / 1e6:.0f} MB for a {len(raw) / 1e6:.0f} MB message"


# -- never fail the MTA ------------------------------------------------------------------------


def test_a_message_without_a_usable_sender_goes_to_triage(ingest_cli, session, world):
    result = ingest_cli("malformed.eml")
    assert result.exit_code == 0 and result.output.startswith("triage CS-000001"), result.output
    case = session.scalar(select(Case))
    assert case.organization_id == world.vendor.id and "No usable sender" in case.description
    assert acks(session) == []


def test_an_unparseable_message_is_kept_whole_and_reported_to_the_managers(mail_app, ingest_cli, session, world):
    result = ingest_cli("unparseable.eml")
    assert result.exit_code == 0 and result.output.startswith("dead_letter"), result.output
    [kept] = list(Path(mail_app.config["MAIL_DEAD_LETTER_DIR"]).iterdir())
    assert kept.read_bytes() == (MAIL / "unparseable.eml").read_bytes()
    [told] = [n for n in in_app(session, world.user("manager"))]
    assert str(kept) in told.body and "admin@acme.example.com" in told.body
    assert cases(session) == 0


def test_empty_input_is_refused_as_data_error(ingest_cli):
    result = ingest_cli(b"")
    assert result.exit_code == 65 and "no message" in result.output


def test_a_redelivered_message_is_filed_once(acme_case, ingest_cli, session):
    assert ingest_cli("reply_by_address.eml").output.startswith("reply")
    again = ingest_cli("reply_by_address.eml")
    assert again.exit_code == 0 and again.output.startswith("duplicate"), again.output
    assert len(comments(session)) == 1
    no_id = b"From: a@unknown.example.org\nSubject: hello\n\nno message id\n"
    assert ingest_cli(no_id).output.startswith("triage CS-000002")
    assert ingest_cli(no_id).output.startswith("duplicate")
    keys = session.scalars(select(InboundMessage.message_key).order_by(InboundMessage.id)).all()
    assert keys[-1].startswith("sha256:") and len(keys) == 3


@pytest.mark.parametrize("name,reason", [("auto_reply.eml", "Auto-Submitted"), ("bounce.eml", "mailer daemon")])
def test_auto_replies_and_bounces_are_kept_but_never_answered(acme_case, ingest_cli, session, name, reason):
    before = session.scalar(select(func.count()).select_from(Notification))
    result = ingest_cli(name)
    assert result.exit_code == 0 and result.output.startswith("ignored") and reason in result.output
    assert session.scalar(select(func.count()).select_from(Notification)) == before, "nothing can loop"
    assert comments(session) == []
    assert session.scalar(select(Case.status).where(Case.number == "CS-000001")) == "new"


@pytest.mark.parametrize("responder", ["ooo_no_headers.eml", "ooo_untagged_same_subject.eml"])
def test_an_out_of_office_without_rfc3834_headers_does_not_loop(ingest_cli, session, clock, responder):
    """Five rounds of an auto-responder answering our acknowledgement: one case, one acknowledgement."""
    from datetime import timedelta

    assert ingest_cli("unknown_sender.eml").output.startswith("triage CS-000001")
    template = (MAIL / responder).read_bytes()
    for round_ in range(5):
        clock.advance(timedelta(minutes=3))
        result = ingest_cli(template.replace(b"ROUND", str(round_).encode()))
        assert result.exit_code == 0 and "CS-000001" in result.output, result.output
    assert cases(session) == 1
    assert len(acks(session)) == 1
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "auto_message")) == 5


def test_acknowledgements_are_damped_per_sender_per_hour(ingest_cli, session, clock):
    from datetime import timedelta

    first = (MAIL / "unknown_sender.eml").read_bytes()
    assert ingest_cli(first).output.startswith("triage CS-000001")
    other = first.replace(b"unknown-1@", b"unknown-2@").replace(b"Our storage is down", b"A second, different request")
    clock.advance(timedelta(minutes=20))
    assert ingest_cli(other).output.startswith("triage CS-000002")
    assert len(acks(session)) == 1, "at most one acknowledgement per sender per hour"
    clock.advance(timedelta(minutes=61))
    third = other.replace(b"unknown-2@", b"unknown-3@").replace(b"second", b"third")
    assert ingest_cli(third).output.startswith("triage CS-000003")
    assert len(acks(session)) == 2


def test_a_sender_who_may_read_but_not_reply_is_filed_as_an_unverified_note(acme_case, ingest_cli, session):
    """The account manager (read-only on the case) writes to it: kept as a note, never lost."""
    theirs = (MAIL / "reply_with_number.eml").read_bytes().replace(b"admin@acme.example.com", b"am@vendor.example.com")
    result = ingest_cli(theirs)
    assert result.exit_code == 0 and result.output.startswith("unverified CS-000001"), result.output
    [note] = comments(session)
    assert not note.public


def test_a_reply_to_a_closed_case_opens_a_new_case_that_names_it(acme_case, ingest_cli, session):
    case = session.scalar(select(Case))
    case.status = "closed"
    session.commit()
    result = ingest_cli("dmarc_trusted_reply.eml")
    assert result.output.startswith("triage CS-000002"), result.output
    assert "CS-000001" in session.scalar(select(Case.description).where(Case.number == "CS-000002"))


def test_unsafe_advice_from_an_unverified_sender_is_held_back_for_staff(ingest_cli, session, world, store):
    """An unauthenticated "customer" reply telling to put the failed drive back: refused in public by
    the safety guard (recorded), kept as an internal note for staff."""
    from casemgr.assets.services import mark_component
    from casemgr.safety.models import SafetyBlock

    assert ingest_cli("dmarc_trusted_new_case.eml").output.startswith("case CS-000001")
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", world.acme_asset.created_at)
    unsafe = (
        (MAIL / "reply_with_number.eml")
        .read_bytes()
        .replace(b"Here is more detail: the rebuild stopped at 43 %.", b"Please reinsert the failed drive in bay 2.")
    )
    result = ingest_cli(unsafe)
    assert result.output.startswith("unverified CS-000001 found by subject; internal note"), result.output
    [note] = comments(session)
    assert not note.public and note.data["held_back"] and "reinsert" in note.body
    assert session.scalar(select(func.count()).select_from(SafetyBlock)) == 1


def test_known_colleagues_in_cc_of_an_authenticated_reply_become_watchers(acme_case, ingest_cli, session, world):
    from casemgr.cases.models import CaseWatcher

    colleague = world.user("acme_user").email
    data = (MAIL / "reply_by_address.eml").read_bytes()
    cc = f"Cc: Colleague <{colleague.upper()}>, stranger@elsewhere.example, admin@globex.example.com\r\n".encode()
    data = data.replace(b"\nTo: Casemgr Support", b"\n" + cc.rstrip(b"\r\n") + b"\nTo: Casemgr Support", 1)
    assert ingest_cli(data).output.startswith("reply CS-000001")
    watching = session.scalars(select(CaseWatcher.user_id)).all()
    assert watching == [world.user("acme_user").id]  # not the stranger, not another tenant's admin


def test_cc_of_an_unverified_message_adds_no_watcher(acme_case, ingest_cli, session, world):
    from casemgr.cases.models import CaseWatcher

    data = (MAIL / "reply_with_number.eml").read_bytes()
    data = data.replace(b"\nTo: ", f"\nCc: {world.user('acme_user').email}\nTo: ".encode(), 1)
    assert ingest_cli(data).output.startswith("unverified")
    assert session.scalars(select(CaseWatcher)).all() == []
