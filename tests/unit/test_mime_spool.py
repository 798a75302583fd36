"""The MIME skeleton scanner: the same structure and bodies as the stdlib's parser, with large
bodies left in the file (nested multiparts, missing final boundary, CRLF/LF, split lines)."""

from __future__ import annotations

import base64
import io
import os
import quopri
from email import policy
from email.message import Message
from email.parser import BytesParser

import pytest

from casemgr.channels.mime_spool import region_chunks, skeleton_of


def leaves_by_email(raw: bytes) -> list[tuple[str, bytes]]:
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    return [(p.get_content_type(), p.get_payload(decode=True) or b"") for p in message.walk() if not p.is_multipart()]


def leaves_by_skeleton(raw: bytes, spill: int = 0, line_limit: int = 64 * 1024) -> list[tuple[str, bytes]]:
    source = io.BytesIO(raw)
    skeleton = skeleton_of(source, spill_bytes=spill, line_limit=line_limit)
    message = BytesParser(policy=policy.compat32).parsebytes(skeleton.data)
    out = []
    part: Message
    for part in message.walk():
        if part.is_multipart():
            continue
        marker = part.get(skeleton.marker)
        if marker is None:
            out.append((part.get_content_type(), part.get_payload(decode=True) or b""))
        else:
            region = skeleton.regions[int(marker)]
            out.append((part.get_content_type(), b"".join(region_chunks(source, region))))
    return out


PAYLOAD = os.urandom(5000)
QP_TEXT = "Grüße =\nmit Umlauten, und eine lange Zeile " * 40


def nested(eol: bytes, final: bool = True) -> bytes:
    lines = [
        b"From: a@example.com",
        b"Subject: nested",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="outer"',
        b"",
        b"preamble",
        b"--outer",
        b'Content-Type: multipart/alternative; boundary="inner"',
        b"",
        b"--inner",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: quoted-printable",
        b"",
        quopri.encodestring(QP_TEXT.encode()).replace(b"\n", eol).rstrip(eol),
        b"--inner",
        b"Content-Type: text/html",
        b"",
        b"<p>hello</p>",
        b"--inner--",
        b"--outer",
        b'Content-Type: application/octet-stream; name="x.bin"',
        b"Content-Disposition: attachment; filename=x.bin",
        b"Content-Transfer-Encoding: base64",
        b"",
        base64.encodebytes(PAYLOAD).replace(b"\n", eol).rstrip(eol),
        b"--outer",
        b"Content-Type: message/rfc822",
        b"",
        b"From: b@example.com",
        b"Content-Type: text/plain",
        b"",
        b"forwarded body",
    ]
    if final:
        lines += [b"--outer--", b"epilogue"]
    return eol.join(lines) + eol


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
@pytest.mark.parametrize("final", [True, False])
def test_nested_multiparts_decode_like_the_stdlib_parser(eol, final):
    raw = nested(eol, final)
    expected = leaves_by_email(raw)
    assert [t for t, _ in expected] == ["text/plain", "text/html", "application/octet-stream", "text/plain"]
    assert expected[2][1] == PAYLOAD
    assert leaves_by_skeleton(raw, spill=0) == expected  # every body from the file
    assert leaves_by_skeleton(raw, spill=10**9) == expected  # every body in the skeleton


def test_large_bodies_stay_out_of_the_skeleton():
    raw = nested(b"\n")
    skeleton = skeleton_of(io.BytesIO(raw), spill_bytes=1024)
    assert len(skeleton.regions) == 2  # the quoted-printable text and the attachment
    assert b"preamble" in skeleton.data and base64.encodebytes(PAYLOAD)[:76] not in skeleton.data


def test_lines_longer_than_a_read_are_read_in_pieces_and_never_taken_for_boundaries():
    long_line = b"x" * 300 + b"--outer--" + b"y" * 300
    raw = nested(b"\r\n").replace(b"<p>hello</p>", long_line)
    expected = leaves_by_email(raw)
    assert leaves_by_skeleton(raw, spill=0, line_limit=7) == expected
    assert leaves_by_skeleton(raw, spill=100, line_limit=64) == expected


def test_a_boundary_split_across_reads_is_still_found():
    raw = nested(b"\n")
    for limit in (2, 3, 5, 11):
        assert leaves_by_skeleton(raw, spill=0, line_limit=limit) == leaves_by_email(raw)


def test_an_inner_part_is_ended_by_an_enclosing_boundary():
    raw = (
        b'Content-Type: multipart/mixed; boundary="a"\n\n--a\nContent-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nunclosed inner\n--a\nContent-Type: text/plain\n\nsecond\n--a--\n"
    )
    assert (
        leaves_by_skeleton(raw)
        == leaves_by_email(raw)
        == [
            ("text/plain", b"unclosed inner"),
            ("text/plain", b"second"),
        ]
    )


def test_a_single_part_message_with_a_large_body_is_read_from_the_file():
    raw = b"From: a@example.com\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(PAYLOAD)
    assert leaves_by_skeleton(raw) == leaves_by_email(raw)


def test_headers_the_stdlib_cannot_read_are_left_to_it():
    raw = b"From: a@example.com\nContent-Type: text/plain; name=[;a*\n\nbody\n"
    skeleton = skeleton_of(io.BytesIO(raw), spill_bytes=0)
    assert skeleton.regions == [] and b"body" in skeleton.data
