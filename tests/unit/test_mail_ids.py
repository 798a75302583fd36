"""Signed mail threading identifiers: a reply finds its case; a forged id does not."""

from __future__ import annotations

from casemgr.channels import mail_ids as t

SECRET = t.mail_secret("test-secret-key")
OTHER = t.mail_secret("another-deployment")


def test_a_reply_to_a_message_finds_its_case_by_in_reply_to():
    sent = t.message_id(SECRET, "n42.x7", "casemgr.example.com", "CS-000123")
    assert t.case_in_message_ids(SECRET, sent) == "CS-000123"


def test_the_thread_root_in_references_finds_the_case():
    root = t.thread_root_id(SECRET, "CS-000123", "casemgr.example.com")
    references = f"<abc@customer.example> {root} <def@customer.example>"
    assert t.case_in_message_ids(SECRET, None, references) == "CS-000123"


def test_the_message_answered_wins_over_older_references():
    older = t.thread_root_id(SECRET, "CS-000001", "casemgr.example.com")
    newer = t.message_id(SECRET, "n9", "casemgr.example.com", "CS-000002")
    assert t.case_in_message_ids(SECRET, f"{older} {newer}") == "CS-000002"


def test_a_forged_or_foreign_id_names_no_case():
    genuine = t.message_id(SECRET, "n1", "casemgr.example.com", "CS-000123")
    forged = genuine.replace("CS-000123", "CS-000124")
    assert t.case_in_message_ids(SECRET, forged) is None
    assert t.case_in_message_ids(OTHER, genuine) is None
    assert t.case_in_message_ids(SECRET, "<CAF=abc@mail.gmail.com>") is None


def test_mail_without_a_case_has_a_plain_message_id():
    assert t.message_id(SECRET, "n7.r", "casemgr.example.com") == "<n7.r@casemgr.example.com>"


def test_the_reply_address_routes_back_even_when_case_is_folded():
    address = t.reply_address(SECRET, "support@casemgr.example.com", "CS-000123")
    assert address.startswith("support+cs-000123.") and address.endswith("@casemgr.example.com")
    to = f'"Casemgr Support" <{address.upper()}>, other@example.com'
    assert t.case_in_reply_address(SECRET, "support@casemgr.example.com", to) == "CS-000123"


def test_a_reply_address_with_a_wrong_signature_or_mailbox_is_refused():
    address = t.reply_address(SECRET, "support@casemgr.example.com", "CS-000123")
    assert t.case_in_reply_address(OTHER, "support@casemgr.example.com", address) is None
    assert t.case_in_reply_address(SECRET, "help@casemgr.example.com", address) is None
    tampered = address.replace("cs-000123", "cs-000124")
    assert t.case_in_reply_address(SECRET, "support@casemgr.example.com", tampered) is None


def test_case_numbers_past_a_million_thread_too():
    sent = t.message_id(SECRET, "n1", "casemgr.example.com", "CS-1000001")
    assert t.case_in_message_ids(SECRET, sent) == "CS-1000001"
