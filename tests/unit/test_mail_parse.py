"""The pure rules of reading inbound mail (casemgr.channels.mail_parse): no database."""

from __future__ import annotations

import base64
import io
import os

import pytest

from casemgr.channels.mail_parse import (
    UnparseableMessage,
    case_number_in,
    decode_text,
    dmarc_pass,
    header_text,
    parse,
    strip_quotes,
    subject_key,
)

TRUSTED = ["mx.casemgr.example.com"]


@pytest.mark.parametrize(
    "header,expected",
    [
        ("mx.casemgr.example.com; dmarc=pass header.from=acme.example.com", True),
        ("MX.Casemgr.Example.com 1; dmarc=pass (p=reject dis=none) header.from=ACME.example.com", True),
        (
            "mx.casemgr.example.com; spf=pass smtp.mailfrom=acme.example.com;\r\n dkim=pass header.d=acme.example.com;"
            " dmarc=pass header.from=acme.example.com",
            True,
        ),
        ("mx.attacker.example; dmarc=pass header.from=acme.example.com", False),  # anyone can add one
        ("mx.casemgr.example.com; dmarc=fail header.from=acme.example.com", False),
        ("mx.casemgr.example.com; dmarc=pass header.from=other.example.com", False),  # not the From domain
        ("mx.casemgr.example.com; spf=pass smtp.mailfrom=acme.example.com", False),  # SPF alone is not DMARC
        ("mx.casemgr.example.com; dmarc=pass", False),  # no header.from: for which domain?
        ("mx.casemgr.example.com; none", False),
        ("(mx.casemgr.example.com); ;; dmarc=pass=", False),  # does not parse: counts for nothing
    ],
)
def test_dmarc_pass_is_believed_only_from_a_trusted_authserv_for_the_from_domain(header, expected):
    assert dmarc_pass([header], TRUSTED, "acme.example.com") is expected


def test_no_trusted_authserv_configured_believes_nobody():
    assert (
        dmarc_pass(["mx.casemgr.example.com; dmarc=pass header.from=acme.example.com"], [], "acme.example.com") is False
    )


def test_an_unknown_charset_falls_back_and_nul_bytes_go():
    assert decode_text("café".encode("latin-1"), "x-klingon-9") == "café"
    assert decode_text("café".encode(), "x-klingon-9") == "café"
    assert decode_text(b"a\x00b\r\nc", "utf-8") == "ab\nc"
    assert decode_text("Grüße".encode(), "us-ascii") == "Grüße"  # a wrong label, not only unknown ones
    assert header_text("=?x-klingon-9?q?Stat=E9?= report") == "Staté report"


@pytest.mark.parametrize(
    "subject,number",
    [
        ("Re: [CS-000123] update", "CS-000123"),
        ("Re: [cs-1234567] update", "CS-1234567"),
        ("AW: CS-0000042", "CS-000042"),
        ("about CS-12345", None),  # five digits is no case number
        ("no number", None),
    ],
)
def test_the_subject_tag_takes_six_or_more_digits(subject, number):
    assert case_number_in(subject) == number


def test_subject_keys_ignore_reply_forward_and_auto_reply_prefixes():
    base = subject_key("Our storage is down")
    assert base == "our storage is down"
    for variant in ("Re: Our storage is down", "AW: RE: Our storage is down", "Automatic reply: Our storage is down"):
        assert subject_key(variant) == base


def test_quotes_and_signatures_are_cut_by_the_library():
    text = "Fixed, thanks.\n\nBest regards,\nAna\n\nOn Mon, 2 Nov 2026 at 09:30, Support <s@x.example> wrote:\n> old\n"
    assert strip_quotes(text) == "Fixed, thanks."
    assert strip_quotes("") == ""


def _message(headers: str, body: bytes) -> io.BytesIO:
    return io.BytesIO(headers.replace("\n", "\r\n").encode() + b"\r\n" + body)


@pytest.mark.parametrize(
    "headers,reason",
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted"),
        ("Precedence: bulk", "Precedence"),
        ("X-Auto-Response-Suppress: All", "X-Auto-Response-Suppress"),
        ("Subject: Out of Office: your case", "by its subject"),
        ("Subject: Automatic reply: hello", "by its subject"),
        ("Subject: Abwesenheitsnotiz: Ihr Fall", "by its subject"),
    ],
)
def test_automatic_replies_are_recognised(tmp_path, headers, reason):
    mail = parse(_message(f"From: a@acme.example.com\n{headers}\n", b"hello\r\n"), tmp_path, 1024)
    assert mail.auto is not None and reason in mail.auto


def test_an_out_of_office_body_without_any_header_is_recognised(tmp_path):
    mail = parse(
        _message("From: a@acme.example.com\nSubject: Re: x\n", b"I'm currently out of the office.\r\n"), tmp_path, 1024
    )
    assert mail.auto and "out-of-office" in mail.auto
    human = parse(
        _message("From: a@acme.example.com\nSubject: Re: x\n", b"When I was out of office it failed.\r\n"),
        tmp_path,
        1024,
    )
    assert human.auto is None


def test_base64_attachments_decode_across_chunk_boundaries(tmp_path):
    payload = os.urandom(3 * 1024 * 1024 + 7)
    body = (
        b"--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="x.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(payload)
        + b"--B--\r\n"
    )
    mail = parse(
        _message('From: a@acme.example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n', body),
        tmp_path,
        10 * 1024 * 1024,
    )
    [attachment] = mail.attachments
    assert attachment.size == len(payload) and attachment.path.read_bytes() == payload


def test_an_attachment_over_the_limit_is_measured_and_left_out_not_cut(tmp_path):
    body = (
        b"--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(b"x" * 5000)
        + b"--B--\r\n"
    )
    mail = parse(
        _message('From: a@acme.example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n', body),
        tmp_path,
        4096,
    )
    assert mail.attachments == [] and [(lo.filename, lo.size) for lo in mail.left_out] == [("big.bin", 5000)]
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == ["raw"], "no partial file is left behind"


def test_no_usable_sender_and_message_keys(tmp_path):
    mail = parse(io.BytesIO(b"this is not an e-mail at all\n"), tmp_path, 1024)
    assert mail.sender is None and mail.message_key.startswith("sha256:")
    with_id = parse(
        _message("From: A <A@Acme.Example.com>\nMessage-ID: <X1@acme.example.com>\n", b"hi"), tmp_path, 1024
    )
    assert with_id.sender == "a@acme.example.com" and with_id.message_key == "mid:<x1@acme.example.com>"


def test_a_structure_the_stdlib_cannot_read_is_unparseable(tmp_path):
    with pytest.raises(UnparseableMessage):
        parse(_message("From: a@acme.example.com\nContent-Type: text/plain; name=[;a*\n", b"hi"), tmp_path, 1024)
    with pytest.raises(UnparseableMessage):
        parse(io.BytesIO(b""), tmp_path, 1024)
