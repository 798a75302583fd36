"""A MIME skeleton of a spooled message: its structure without its large bodies.

The stdlib's ``email`` parser holds every body of a message in memory (about three
times the message). Here the spooled original is scanned a line at a time for the
RFC 2046 boundaries, following the same rules as ``email.feedparser`` (nested
multiparts, enclosing boundaries that end an inner part, a missing final boundary,
CRLF or LF, ``message/*`` parts parsed as messages). Headers and small bodies are
copied into the skeleton as they are; a body larger than ``spill_bytes`` is left in
the spool file and named by a :class:`Region` (its byte range and encoding), and
its part in the skeleton gets a marker header instead of the body. The skeleton
then goes to ``email`` as before, and :func:`region_chunks` decodes a region
(base64, quoted-printable or as is) from the spool file a chunk at a time.

No library streams this: ``python-multipart`` parses one level of form data (no
nested multiparts, no headers as ``email`` reads them) and ``BytesFeedParser``
keeps the payloads as strings.
"""

from __future__ import annotations

import binascii
import quopri
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from typing import BinaryIO

#: What ``email.feedparser`` accepts as a header line (or a continuation).
_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
#: Longest piece read as one line: longer lines are read in pieces (never whole).
LINE_LIMIT = 64 * 1024
#: A header line is read whole up to this length (a boundary line always is).
HEADER_LINE_MAX = 1024 * 1024
#: Bodies larger than this stay in the spool file (text and attachments alike).
SPILL_BYTES = 256 * 1024
_CHUNK = 1024 * 1024
#: Encodings whose bodies can be decoded from a region; others are kept in the skeleton.
_STREAMABLE = ("", "7bit", "8bit", "binary", "base64", "quoted-printable")


@dataclass(frozen=True)
class Region:
    """A body left in the spool file: ``[start, end)`` and its transfer encoding."""

    start: int
    end: int
    encoding: str


@dataclass
class Skeleton:
    data: bytes
    #: The marker header's name; its value indexes ``regions``.
    marker: str
    regions: list[Region] = field(default_factory=list)


class _Lines:
    """The spool file as lines with their offsets; one line may be pushed back."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self.source = source
        self.limit = limit
        self.pushed: tuple[int, bytes, bool] | None = None
        self.at_line_start = True
        self.offset = source.tell()

    def next(self, whole: int = 0) -> tuple[int, bytes, bool] | None:
        """(offset, line, starts a line): a piece of an over-long line does not start one.
        A line that starts is read on until it is ``whole`` bytes long (or ends)."""
        if self.pushed is not None:
            pushed, self.pushed = self.pushed, None
            return pushed
        piece = self._piece()
        if piece is None or not piece[2]:
            return piece
        offset, line, starts = piece
        while not line.endswith(b"\n") and len(line) < whole:
            more = self._piece()
            if more is None:
                break
            line += more[1]
        return offset, line, starts

    def _piece(self) -> tuple[int, bytes, bool] | None:
        offset = self.offset
        line = self.source.readline(self.limit)
        if not line:
            return None
        self.offset += len(line)
        starts = self.at_line_start
        self.at_line_start = line.endswith(b"\n")
        return offset, line, starts

    def push(self, item: tuple[int, bytes, bool]) -> None:
        self.pushed = item


def _boundary_of(line: bytes, boundaries: list[bytes]) -> tuple[int, bool] | None:
    """Which boundary (index in ``boundaries``) the line is, and whether it closes."""
    if not line.startswith(b"--"):
        return None
    stripped = line.rstrip(b"\r\n").rstrip(b" \t")
    for index in range(len(boundaries) - 1, -1, -1):
        sep = b"--" + boundaries[index]
        if stripped == sep:
            return index, False
        if stripped == sep + b"--":
            return index, True
    return None


def _ending(line: bytes) -> int:
    if line.endswith(b"\r\n"):
        return 2
    return 1 if line.endswith((b"\n", b"\r")) else 0


class _Scanner:
    def __init__(self, source: BinaryIO, spill_bytes: int, line_limit: int) -> None:
        self.whole = 0  # the longest boundary line of the open multiparts, and some blanks
        self.lines = _Lines(source, line_limit)
        self.source = source
        self.spill_bytes = spill_bytes
        self.out = bytearray()
        self.skeleton = Skeleton(b"", f"X-Casemgr-Spool-{secrets.token_hex(8)}")

    def entity(self, boundaries: list[bytes]) -> int | None:
        """One entity (headers, body); returns the index of the enclosing boundary that
        ended it (the boundary line pushed back), or None at the end of the file."""
        headers = bytearray()
        body_first: tuple[int, bytes, bool] | None = None
        while (item := self.lines.next(HEADER_LINE_MAX)) is not None:
            _offset, line, starts = item
            if starts and _boundary_of(line, boundaries) is not None:
                self.lines.push(item)
                break
            if starts and line in (b"\r\n", b"\n", b"\r"):
                break
            if starts and not _HEADER_LINE.match(line):
                body_first = item  # email ends the headers here and keeps the line as body
                break
            headers += line
        else:
            self.out += headers
            return None
        content_type, boundary, encoding, parsed = _header_facts(bytes(headers))
        if boundary is not None:
            self.out += headers + b"\n"
            if body_first is not None:
                self.lines.push(body_first)
            return self.multipart(boundaries, boundary)
        if parsed and content_type.startswith("message/") and content_type != "message/delivery-status":
            self.out += headers + b"\n"
            if body_first is not None:
                self.lines.push(body_first)
            return self.entity(boundaries)
        return self.leaf(boundaries, bytes(headers), body_first, parsed and encoding in _STREAMABLE, encoding)

    def leaf(
        self,
        boundaries: list[bytes],
        headers: bytes,
        first: tuple[int, bytes, bool] | None,
        may_spill: bool,
        encoding: str,
    ) -> int | None:
        body = bytearray()
        start: int | None = None
        end = 0
        last = b""
        spilled = False
        ended: int | None = None
        item = first if first is not None else self.lines.next(self.whole)
        while item is not None:
            offset, line, starts = item
            if starts and (found := _boundary_of(line, boundaries)) is not None:
                self.lines.push(item)
                ended = found[0]
                end = offset - _ending(last)  # the line end before a boundary belongs to it
                break
            if start is None:
                start = offset
            last = line
            end = offset + len(line)
            if not spilled:
                body += line
                if may_spill and len(body) > self.spill_bytes:
                    spilled, body = True, bytearray()
            item = self.lines.next(self.whole)
        else:
            if boundaries:  # inside a multipart, email drops the last line end at the end of input too
                end -= _ending(last)
        if spilled and start is not None:
            self.skeleton.regions.append(Region(start, max(end, start), encoding))
            self.out += headers if headers.endswith((b"\n", b"\r")) or not headers else headers + b"\n"
            self.out += f"{self.skeleton.marker}: {len(self.skeleton.regions) - 1}\n\n".encode()
        else:
            self.out += headers + b"\n" + bytes(body)
        return ended

    def multipart(self, boundaries: list[bytes], boundary: bytes) -> int | None:
        inner = [*boundaries, boundary]
        mine = len(inner) - 1
        self.whole = max(self.whole, len(boundary) + 64)
        while (item := self.lines.next(self.whole)) is not None:  # the preamble, kept as it is
            found = _boundary_of(item[1], inner) if item[2] else None
            if found is not None:
                if found[0] != mine:
                    self.lines.push(item)
                    return found[0]
                self.out += item[1]
                if found[1]:
                    return self.epilogue(boundaries)
                break
            self.out += item[1]
        else:
            return None
        while True:
            ended = self.entity(inner)
            if ended is None:
                return None
            if ended != mine:
                return ended
            item = self.lines.next(self.whole)
            assert item is not None  # the boundary line the entity pushed back
            self.out += item[1]
            if _boundary_of(item[1], inner) == (mine, True):
                return self.epilogue(boundaries)

    def epilogue(self, boundaries: list[bytes]) -> int | None:
        size = 0
        while (item := self.lines.next(self.whole)) is not None:
            if item[2] and (found := _boundary_of(item[1], boundaries)) is not None:
                self.lines.push(item)
                return found[0]
            size += len(item[1])
            if size <= self.spill_bytes:  # a huge epilogue is nobody's text: dropped
                self.out += item[1]
        return None


def _header_facts(headers: bytes) -> tuple[str, bytes | None, str, bool]:
    """Content type, multipart boundary, transfer encoding; False when email cannot read them."""
    try:
        message = BytesHeaderParser(policy=policy.default).parsebytes(headers + b"\n")
        content_type = message.get_content_type()
        boundary = message.get_boundary() if message.get_content_maintype() == "multipart" else None
        encoding = str(message.get("Content-Transfer-Encoding", "")).strip().lower()
    except Exception:  # the parse of the skeleton reports it the way it always did
        return "", None, "", False
    return content_type, boundary.encode("utf-8", "surrogateescape") if boundary else None, encoding, True


def skeleton_of(source: BinaryIO, spill_bytes: int = SPILL_BYTES, line_limit: int = LINE_LIMIT) -> Skeleton:
    """Scan the spooled message (from its start) into its skeleton."""
    source.seek(0)
    scanner = _Scanner(source, spill_bytes, line_limit)
    scanner.entity([])
    while (item := scanner.lines.next()) is not None:  # after a stray enclosing boundary
        scanner.out += item[1]
    scanner.skeleton.data = bytes(scanner.out)
    return scanner.skeleton


def _raw_chunks(source: BinaryIO, region: Region, line_aligned: bool) -> Iterator[bytes]:
    source.seek(region.start)
    left = region.end - region.start
    while left > 0:
        chunk = source.read(min(_CHUNK, left))
        if not chunk:
            return
        if line_aligned and not chunk.endswith(b"\n"):
            chunk += source.readline(min(LINE_LIMIT, left - len(chunk)))
        left -= len(chunk)
        yield chunk


def region_chunks(source: BinaryIO, region: Region) -> Iterator[bytes]:
    """The region's bytes decoded, a chunk at a time."""
    if region.encoding == "base64":
        carry = b""
        for raw in _raw_chunks(source, region, False):
            text = carry + _NOT_BASE64.sub(b"", raw)
            usable = len(text) - len(text) % 4
            carry = text[usable:]
            if usable:
                yield binascii.a2b_base64(text[:usable])
        rest = carry.rstrip(b"=")
        if rest:
            try:
                yield binascii.a2b_base64(rest + b"=" * (-len(rest) % 4))
            except binascii.Error:
                return  # a single stray character holds no byte
    elif region.encoding == "quoted-printable":
        for raw in _raw_chunks(source, region, True):
            yield quopri.decodestring(raw)
    else:
        yield from _raw_chunks(source, region, False)
