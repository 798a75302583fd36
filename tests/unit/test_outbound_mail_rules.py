"""Outbound mail, the pure parts: backoff to a cap, one-line headers, subjects, threading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casemgr.channels import mail_ids
from casemgr.notifications.mail import MailSettings, Outbound, build_message, one_line, subject_line, threading
from casemgr.notifications.services import LONGEST_BACKOFF, backoff

CONFIG = {
    "MAIL_FROM": "Casemgr Support <support@vendor.example>",
    "MAIL_REPLY_TO": "help@vendor.example",
    "BASE_URL": "https://support.vendor.example",
    "SECRET_KEY": "unit-test-secret",
}


def test_backoff_doubles_up_to_the_longest_and_stays_there_forever():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(8) == LONGEST_BACKOFF == timedelta(hours=2)
    assert {backoff(n) for n in (9, 20, 500, 10**6)} == {LONGEST_BACKOFF}


def test_header_text_is_one_line_and_a_case_subject_names_the_case():
    assert one_line("a\r\nBcc: x@y\n\tb\u2028c") == "a Bcc: x@y b c"
    assert subject_line("Status changed", "CS-000123") == "[CS-000123] Status changed"
    assert subject_line("[CS-000123 S1] Escalation", "CS-000123") == "[CS-000123 S1] Escalation"
    assert subject_line("Digest", None) == "Digest"


def test_settings_derive_the_domain_and_refuse_a_base_url_that_is_not_http():
    settings = MailSettings.from_config(CONFIG)
    assert (settings.domain, settings.base_url) == ("vendor.example", "https://support.vendor.example/")
    assert settings.case_url("CS-000123") == "https://support.vendor.example/cases/CS-000123"
    with pytest.raises(ValueError, match="http"):
        MailSettings.from_config({**CONFIG, "BASE_URL": "javascript:alert(1)"})


def test_threading_refers_to_the_root_and_the_message_answered():
    settings = MailSettings.from_config(CONFIG)
    root = mail_ids.thread_root_id(settings.secret, "CS-000123", "vendor.example")
    assert threading(settings, "CS-000123", None) == (root, root)
    assert threading(settings, "CS-000123", "<p@x>") == ("<p@x>", f"{root} <p@x>")


def test_an_unusable_address_is_an_error_not_a_header():
    settings = MailSettings.from_config(CONFIG)
    mail = Outbound(1, "not an address", "s", "b", datetime(2026, 11, 2, tzinfo=UTC), "<1@vendor.example>")
    for bad in ("not an address", "a@b.example\r\nBcc: c@d", "a@b.example, c@d.example", "Eve <e@x.example>"):
        with pytest.raises(ValueError, match="not an e-mail address"):
            build_message(settings, Outbound(1, bad, "s", "b", mail.created_at, mail.message_id))
    ok = build_message(settings, Outbound(1, "a.b+c@b.example", "s", "b", mail.created_at, mail.message_id))
    assert ok["To"] == "a.b+c@b.example" and ok["Reply-To"] == "help@vendor.example"
    assert ok["In-Reply-To"] is None, "no case, no thread"
