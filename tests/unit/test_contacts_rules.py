"""Pure rules of who hears what: plain words for statuses and severities, the preference
rule with its Severity 1 override, header-safe subjects and carrier tracking links."""

from __future__ import annotations

import pytest

from casemgr.cases.rules import STATUS_PLAIN, STATUSES, severity_body, status_body
from casemgr.errors import InvalidInput
from casemgr.notifications.links import case_path
from casemgr.notifications.preferences import MODES, check_preferences, email_delivery
from casemgr.notifications.services import one_line
from rma.lifecycle import tracking_url


def test_every_status_has_plain_words_and_the_body_says_before_and_note():
    assert set(STATUS_PLAIN) == set(STATUSES)
    assert status_body("new", "in_progress") == "We are working on it (was: new)."
    assert status_body("in_progress", "waiting_customer", "  Send logs ") == (
        "Waiting for your reply (was: in progress).\nSend logs"
    )
    assert status_body("in_progress", "resolved", "Firmware 4.2") == (
        "Resolved, please confirm (was: in progress).\nFirmware 4.2"
    )


def test_a_severity_body_says_which_way_and_why():
    assert severity_body(3, 1, "Site down") == (
        "Raised from severity 3 (medium) to severity 1 (critical). Reason: Site down"
    )
    assert severity_body(1, 4) == "Lowered from severity 1 (critical) to severity 4 (low)."


@pytest.mark.parametrize(
    ("mode", "severity", "delivery"),
    [
        ("immediate", 3, "now"),
        ("digest", 3, "digest"),
        ("in_app", 3, "none"),
        ("digest", None, "digest"),
        ("immediate", 1, "now"),
        ("digest", 1, "now"),
        ("in_app", 1, "now"),
        ("something else", 4, "now"),
    ],
)
def test_preferences_decide_the_mail_and_severity_1_is_always_immediate(mode, severity, delivery):
    assert email_delivery(mode, severity) == delivery


def test_unknown_kinds_and_modes_are_refused_by_name():
    assert check_preferences({"reply": "digest"}) == {"reply": "digest"}
    with pytest.raises(InvalidInput) as refused:
        check_preferences({"reply": "hourly", "gossip": "digest", "rma": 3})
    assert set(refused.value.details) == {"reply", "gossip", "rma"}
    assert set(MODES) == {"immediate", "digest", "in_app"}


def test_subjects_lose_line_breaks_and_control_characters():
    assert one_line("Hello\r\nBcc: x@example.com\t\x00there") == "Hello Bcc: x@example.com there"


def test_tracking_links_quote_the_number_and_know_only_real_carriers():
    assert tracking_url("UPS", "1Z 99/A") == "https://www.ups.com/track?tracknum=1Z%2099%2FA"
    assert tracking_url("Fed-Ex", "77&x=1") == "https://www.fedex.com/fedextrack/?trknbr=77%26x%3D1"
    assert tracking_url("Bob's Couriers", "123") is None
    assert tracking_url("DHL", "  ") is None


def test_the_case_link_is_the_case_page_path():
    assert case_path("CS-000123") == "/cases/CS-000123"
