"""Large inbound messages for the bounded-memory tests of the MTA pipe and the IMAP fetcher."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

MB = 1024 * 1024


def write_message(path: Path, attachment_bytes: int, n: int) -> str:
    """A reply with an attachment of random bytes, written a piece at a time; its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        out.write(
            b"From: Ana Admin <admin@acme.example.com>\nTo: support+cs-000001.p3tz3yqsijfdsxy5@casemgr.example.com\n"
            b"Subject: big\nMessage-ID: <big-%d@acme.example.com>\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nthe dump\n--B\n'
            b'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="dump.bin"\n'
            b"Content-Transfer-Encoding: base64\n\n" % n
        )
        left = attachment_bytes
        while left:
            piece = os.urandom(min(57 * 16 * 1024, left))  # whole base64 lines
            digest.update(piece)
            out.write(base64.encodebytes(piece))
            left -= len(piece)
        out.write(b"--B--\n")
    return digest.hexdigest()


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")
