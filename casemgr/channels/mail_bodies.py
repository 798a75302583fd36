"""A body part of an inbound e-mail, decoded a chunk at a time (base64, quoted-printable
or as it is), so that a large attachment never exists in memory: a body that
:mod:`casemgr.channels.mime_spool` left in the spool file is decoded from there.
"""

from __future__ import annotations

import binascii
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from casemgr.channels.mime_spool import Region, Skeleton, region_chunks

#: Bytes read (or base64 characters decoded) at a time.
CHUNK = 1024 * 1024
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")


@dataclass(frozen=True)
class Spooled:
    """The spooled original and its skeleton: where the bodies left out of the skeleton are."""

    raw_path: Path
    skeleton: Skeleton

    def region_of(self, part: Message) -> Region | None:
        value = part.get(self.skeleton.marker)
        if value is None:
            return None
        try:
            return self.skeleton.regions[int(str(value))]
        except (ValueError, IndexError):
            return None


def decoded_chunks(part: Message, spooled: Spooled | None = None) -> Iterator[bytes]:
    """The part's body, decoded a chunk at a time (base64 and quoted-printable), so a
    large attachment never exists in memory: a body left in the spool file is read from it."""
    region = spooled.region_of(part) if spooled is not None else None
    if spooled is not None and region is not None:
        with spooled.raw_path.open("rb") as raw:
            yield from region_chunks(raw, region)
        return
    payload = part.get_payload()
    if not isinstance(payload, str):
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            yield data
        return
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding == "base64":
        carry = ""
        for start in range(0, len(payload), CHUNK):
            text = carry + _NOT_BASE64.sub("", payload[start : start + CHUNK])
            usable = len(text) - len(text) % 4
            carry = text[usable:]
            if usable:
                yield binascii.a2b_base64(text[:usable].encode())
        rest = carry.rstrip("=")
        if rest:  # an unpadded last group: decode what it holds
            yield _last_group(rest)
    elif encoding == "quoted-printable":
        start = 0
        while start < len(payload):
            end = payload.find("\n", start + CHUNK)
            end = len(payload) if end == -1 else end + 1
            yield quopri.decodestring(payload[start:end].encode("ascii", errors="surrogateescape"))
            start = end
    else:
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            yield data


def _last_group(rest: str) -> bytes:
    try:
        return binascii.a2b_base64((rest + "=" * (-len(rest) % 4)).encode())
    except binascii.Error:
        return b""  # a single stray character holds no byte
