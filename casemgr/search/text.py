"""The pure rules of search: what a query may be, how it reaches each database's full-text
engine, how an identifier is recognised, how a snippet becomes safe HTML, and the
opaque cursor. No Flask, no session: unit-tested in tests/unit/test_search_text.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from casemgr.errors import InvalidInput

#: The kinds of result a search can be narrowed to.
KINDS = ("case", "comment", "asset", "rma")
MAX_QUERY_LENGTH = 200
#: Marks the databases put around a matched word (ts_headline's StartSel/StopSel, FTS5's
#: snippet()): control characters no text of ours holds, so escaping never touches them.
MARK_START, MARK_END = "\x02", "\x03"
#: On PostgreSQL, ``<`` and ``>`` reach ts_headline as these (and come back), so that its
#: parser does not drop what looks like an HTML tag: the snippet shows the text as typed.
PG_LT, PG_GT = "\x0e", "\x0f"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WORD = re.compile(r"\w+", re.UNICODE)
#: At most this many words reach the full-text engines (longer queries match nothing more).
MAX_WORDS = 12


class SearchInputError(InvalidInput):
    """A query, kind or cursor that cannot be searched: 422, ``details`` naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, details={field: [message]})


@dataclass(frozen=True)
class Query:
    text: str
    kind: str | None

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text)[:MAX_WORDS]

    @property
    def fts5_match(self) -> str:
        """An FTS5 MATCH expression that is every word, each quoted: FTS5's own syntax
        (``AND``, ``NEAR``, ``*``, ``"``, column filters) is never interpreted from user text."""
        return " ".join(f'"{w}"' for w in self.words)

    @property
    def fingerprint(self) -> str:
        """Ties a cursor to the query it continues."""
        return hashlib.sha256(f"{self.kind}|{self.text}".encode()).hexdigest()[:12]


def parse_query(text: str | None, kind: str | None = None) -> Query:
    """The query as searched (trimmed, inner whitespace collapsed), or :class:`SearchInputError`."""
    raw = text or ""
    if "\x00" in raw:
        raise SearchInputError("q", "The search contains a NUL character (\\u0000). Remove it.")
    cleaned = " ".join(raw.split())
    if not cleaned:
        raise SearchInputError("q", "Type something to search for.")
    if len(cleaned) > MAX_QUERY_LENGTH:
        raise SearchInputError(
            "q", f"Searches are at most {MAX_QUERY_LENGTH} characters (this one has {len(cleaned)})."
        )
    if kind in ("", None):
        return Query(cleaned, None)
    if kind not in KINDS:
        raise SearchInputError("kind", f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.")
    return Query(cleaned, kind)


_CASE_NUMBER = re.compile(r"^\s*(?:/?cases/)?CS-?0*(\d{1,9})\s*$", re.IGNORECASE)
_RMA_NUMBER = re.compile(r"^\s*RMA-?0*(\d{1,9})\s*$", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,63}$")


def case_number(text: str) -> str | None:
    """``CS-000123`` for ``cs-123``, ``CS000123``, ``cs-000123``...; None if it is not one."""
    match = _CASE_NUMBER.match(text)
    return f"CS-{int(match.group(1)):06d}" if match else None


def rma_number(text: str) -> str | None:
    match = _RMA_NUMBER.match(text)
    return f"RMA-{int(match.group(1)):06d}" if match else None


def is_a_number(query: Query) -> bool:
    """A case or RMA number: only the number sources look it up (serials never take that form)."""
    return case_number(query.text) is not None or rma_number(query.text) is not None


def identifier(text: str) -> str | None:
    """The query as a serial or tracking number (one token with a digit, upper case), or None."""
    token = text.strip()
    return token.upper() if _IDENTIFIER.match(token) and any(c.isdigit() for c in token) else None


def highlighted(raw: str | None) -> Markup:
    """A snippet from the database as HTML: every character escaped, only the marks the
    database put around matched words become ``<mark>``."""
    if not raw:
        return Markup("")
    text = raw.replace(PG_LT, "<").replace(PG_GT, ">")
    parts: list[str] = []
    inside = False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", text):
        if piece == MARK_START and not inside:
            parts.append("<mark>")
            inside = True
        elif piece == MARK_END and inside:
            parts.append("</mark>")
            inside = False
        elif piece not in (MARK_START, MARK_END):
            parts.append(str(escape(_CONTROL.sub("", piece))))
    if inside:
        parts.append("</mark>")
    return Markup("".join(parts))


def plain_snippet(text: str, length: int = 160) -> str:
    """The start of a text, on one line, for a result found by identifier."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def encode_cursor(query: Query, offset: int) -> str:
    payload = json.dumps({"o": offset, "f": query.fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(query: Query, cursor: str | None) -> int:
    """The offset a cursor this search returned stands for; 0 without one."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        offset, fingerprint = data["o"], data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise SearchInputError("cursor", "The cursor is not one this search returned.") from None
    if not isinstance(offset, int) or offset < 0 or fingerprint != query.fingerprint:
        raise SearchInputError("cursor", "The cursor belongs to another search.")
    return offset
