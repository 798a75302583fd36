"""Reading an inbound e-mail: pure functions of the message, no database.

Nothing here trusts the message. Charsets that Python does not know decode with
a fallback, NUL bytes are removed (PostgreSQL refuses them in text), HTML-only
mail becomes text with inscriptis, quoted history and signatures are cut with
mail-parser-reply (forwarded mail keeps what was forwarded). The message is spooled
to a file as it arrives and ``email`` parses only its skeleton
(:mod:`casemgr.channels.mime_spool`: bodies over 256 KB stay in the file), and
attachments are decoded chunk by chunk into files of a spool folder, never all at once, each
measured against the limit while it is written: one over the limit is left out
(and named, with its size) rather than cut. ``Authentication-Results`` are read
with authres (RFC 8601) and believed only from a configured authserv-id.
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import BinaryIO

import authres
from inscriptis import get_text
from mailparser_reply import EmailReplyParser

from casemgr.cases.rules import format_case_number
from casemgr.channels.mail_bodies import CHUNK, Spooled, decoded_chunks
from casemgr.channels.mime_spool import skeleton_of

#: A case number in a subject: CS- and six or more digits (numbers past a million grow).
CASE_TAG = re.compile(r"\bCS-(\d{6,})\b", re.IGNORECASE)
DAEMONS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")
#: Subjects auto-responders write when they omit the RFC 3834 headers.
AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|fw|fwd)\s*:\s*)*(?:out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto(?:matic)?[-\s]?(?:reply|response)"
    r"|autoreply|abwesenheitsnotiz|abwesend|absence|r[ée]ponse\s+automatique|vacation\s+(?:reply|notice)|away\s+from)",
    re.IGNORECASE,
)
#: How out-of-office bodies begin, for responders that send no header and a plain subject.
AUTO_BODY = re.compile(
    r"^\s*(?:thank\s+you\s+for\s+your\s+(?:message|e-?mail)[.!,]?\s*)?(?:i\s+am|i'm)\s+(?:currently\s+)?"
    r"(?:out\s+of\s+(?:the\s+)?office|away\b|on\s+(?:vacation|holiday|leave|annual\s+leave))",
    re.IGNORECASE,
)
PREFIX = re.compile(r"^\s*(?:(?:re|aw|fw|fwd|wg|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
FORWARDED = re.compile(r"^\s*(?:-{2,}\s*forwarded\s+message\s*-{2,}|begin\s+forwarded\s+message:)", re.I | re.M)
#: The most of one body part read as the message's text.
TEXT_CAP = 4 * 1024 * 1024
TEXT_CUT = "\n\n[The rest of this text is longer than 4 MB; the original message keeps it.]"
_REPLY_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])


class UnparseableMessage(ValueError):
    """The message cannot be read (its structure defeats the parser): kept in the dead-letter folder."""


@dataclass
class SpooledFile:
    """An attachment decoded into a file of the spool folder."""

    filename: str
    content_type: str
    path: Path
    size: int


@dataclass(frozen=True)
class LeftOut:
    """An attachment over the limit: named on the case, never stored cut."""

    filename: str
    size: int


@dataclass
class ParsedMail:
    message_key: str
    sender: str | None  # lower-case address, None when there is no usable one
    sender_name: str
    subject: str
    #: The text to file: the new part of the message (quotes and signature cut).
    text: str
    #: The whole decoded text, for the record and for forwarded mail.
    full_text: str
    in_reply_to: str
    references: str
    #: To, Cc, Delivered-To, X-Original-To values (where a reply address may be).
    recipients: list[str]
    #: The addresses in Cc: (known users among them become watchers of the case).
    cc: list[str]
    authentication_results: list[str]
    auto: str | None
    attachments: list[SpooledFile] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    #: The whole message as received, on disk.
    raw_path: Path | None = None
    raw_size: int = 0
    forwarded: bool = False

    @property
    def from_domain(self) -> str:
        return self.sender.rpartition("@")[2] if self.sender else ""

    @property
    def subject_key(self) -> str:
        return subject_key(self.subject)


# -- text ---------------------------------------------------------------------------


def clean(text: str) -> str:
    """NUL bytes out (PostgreSQL refuses them), line ends normalised."""
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes in the declared charset; an unknown or wrong one falls back to UTF-8, then cp1252."""
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None
    for candidate in (charset, "utf-8"):
        if candidate:
            try:
                return clean(data.decode(candidate))
            except UnicodeDecodeError:
                continue
    return clean(data.decode(charset or "cp1252", errors="replace"))


def header_text(value: str) -> str:
    """An RFC 2047 header value as text, whatever its encoded words claim to be."""
    parts = []
    try:
        decoded = decode_header(value)
    except (ValueError, binascii.Error):
        return clean(" ".join(value.split()))
    for chunk, charset in decoded:
        parts.append(decode_text(chunk, charset) if isinstance(chunk, bytes) else chunk)
    # decode_header keeps the spaces of unencoded runs but drops them between encoded words
    return clean(" ".join("".join(parts).split()))


def html_to_text(html: str) -> str:
    return get_text(html).strip()


def strip_quotes(text: str) -> str:
    """The new part of a reply: quoted history and the signature cut (mail-parser-reply)."""
    if not text.strip():
        return ""
    try:
        replies = _REPLY_PARSER.read(text=text).replies
    except (ValueError, IndexError, AttributeError):  # never lose the text to the library
        return text.strip()
    body = replies[0].body.strip() if replies else ""
    return body or text.strip()


def subject_key(subject: str) -> str:
    """The subject without Re:/Fwd: and auto-reply prefixes, lower case, for joining repeats."""
    key = PREFIX.sub("", subject)
    key = re.sub(AUTO_SUBJECT.pattern + r"\s*:?\s*", "", key, flags=re.IGNORECASE)
    return " ".join(PREFIX.sub("", key).lower().split())[:200]


def case_number_in(subject: str) -> str | None:
    """The case a subject names, spelled as case numbers are (CS-0000001 is CS-000001)."""
    match = CASE_TAG.search(subject)
    return format_case_number(int(match.group(1))) if match else None


# -- authentication -------------------------------------------------------------------


def dmarc_pass(values: Iterable[str], trusted: Iterable[str], from_domain: str) -> bool:
    """True when an ``Authentication-Results`` header from a trusted authserv-id says
    ``dmarc=pass`` for the From domain. Headers from any other authserv-id are ignored:
    anyone can add one. A header that does not parse counts for nothing."""
    trusted_ids = {t.strip().lower() for t in trusted if t.strip()}
    domain = from_domain.strip().lower()
    if not trusted_ids or not domain:
        return False
    for value in values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
        except (authres.AuthResError, ValueError, IndexError):
            continue
        if str(header.authserv_id or "").lower() not in trusted_ids:
            continue
        for result in header.results:
            if str(result.method).lower() != "dmarc" or str(result.result).lower() != "pass":
                continue
            for prop in result.properties:
                if (str(prop.type).lower(), str(prop.name).lower()) == ("header", "from") and str(prop.value).strip(
                    '"'
                ).lower() == domain:
                    return True
    return False


# -- the message ------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    """A header's text; a value the stdlib's header parser chokes on is decoded by hand."""
    try:
        value = message.get(name)
        return "" if value is None else clean(" ".join(str(value).split()))
    except Exception:  # the stdlib's structured headers raise on some malformed values
        for key, raw in message.raw_items():
            if key.lower() == name.lower():
                return header_text(str(raw))
        return ""


def _all_headers(message: Message, name: str) -> list[str]:
    return [header_text(str(raw)) for key, raw in message.raw_items() if key.lower() == name.lower()]


def auto_reason(message: Message, sender: str | None, subject: str) -> str | None:
    """Auto-replies, bounces and bulk mail are recorded but never answered (no loops):
    RFC 3834 and the common vendor headers, and the subjects auto-responders write
    when they send none of them."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto-responder header"
    if _header(message, "X-Auto-Response-Suppress").lower() in ("all", "oof", "autoreply"):
        return "auto-responder header (X-Auto-Response-Suppress)"
    if (sender and sender.split("@")[0] in DAEMONS) or _header(message, "Return-Path") == "<>":
        return "bounce (mailer daemon)"
    if AUTO_SUBJECT.search(subject):
        return "automatic reply (by its subject)"
    return None


def _sender(message: Message) -> tuple[str | None, str]:
    value = _header(message, "From") or _header(message, "Sender")
    name, address = parseaddr(value)
    address = address.strip().lower()
    if "@" not in address or any(c in address for c in " \r\n<>,;") or len(address) > 254:
        return None, ""
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        return None, ""
    return address, header_text(name)[:200]


def _part_text(part: Message, spooled: Spooled | None) -> str:
    """The text of a body part; one larger than TEXT_CAP keeps its first TEXT_CAP bytes (it is
    text to read on the case, not a file: a text attachment is stored whole)."""
    data = bytearray()
    for chunk in decoded_chunks(part, spooled):
        data += chunk[: TEXT_CAP + 1 - len(data)]
        if len(data) > TEXT_CAP:
            break
    text = decode_text(bytes(data[:TEXT_CAP]), part.get_content_charset())
    return text + TEXT_CUT if len(data) > TEXT_CAP else text


def _spool_attachment(
    part: Message, spool: Path, max_bytes: int, spooled: Spooled | None
) -> SpooledFile | LeftOut | None:
    name = header_text(part.get_filename() or "") or "attachment.bin"
    content_type = part.get_content_type()
    fd, tmp = tempfile.mkstemp(dir=spool, prefix="att-")
    size = 0
    with os.fdopen(fd, "wb") as out:
        for chunk in decoded_chunks(part, spooled):
            size += len(chunk)
            if size <= max_bytes:
                out.write(chunk)
    if size > max_bytes:
        os.unlink(tmp)
        return LeftOut(name, size)
    if size == 0:
        os.unlink(tmp)
        return None
    return SpooledFile(name, content_type, Path(tmp), size)


def _body_and_attachments(
    message: EmailMessage, spool: Path, max_bytes: int, spooled: Spooled | None = None
) -> tuple[str, list[SpooledFile], list[LeftOut]]:
    body_part = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body_part is not None:
        text = _part_text(body_part, spooled)
        if body_part.get_content_type() == "text/html":
            text = clean(html_to_text(text))
    elif not message.is_multipart() and message.get_content_maintype() == "text":
        text = _part_text(message, spooled)  # e.g. a body after broken headers
    files: list[SpooledFile] = []
    left_out: list[LeftOut] = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        spooled_file = _spool_attachment(part, spool, max_bytes, spooled)
        if isinstance(spooled_file, SpooledFile):
            files.append(spooled_file)
        elif isinstance(spooled_file, LeftOut):
            left_out.append(spooled_file)
    return text.strip(), files, left_out


def read_message(source: BinaryIO, spool: Path) -> tuple[EmailMessage, Spooled, str, int]:
    """Copy the stream to ``spool`` a chunk at a time while hashing it (the original, kept as
    the .eml), then parse its skeleton: large bodies stay in the file (:mod:`mime_spool`)."""
    digest = hashlib.sha256()
    fd, raw_name = tempfile.mkstemp(dir=spool, prefix="raw-", suffix=".eml")
    size = 0
    with os.fdopen(fd, "wb") as raw:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
            raw.write(chunk)  # all of it, whatever follows: the dead letter is whole
    raw_path = Path(raw_name)
    try:
        with raw_path.open("rb") as raw:
            skeleton = skeleton_of(raw)
        message = BytesParser(policy=policy.default).parsebytes(skeleton.data)
    except Exception as exc:  # the stdlib's parser gives up on some structures
        raise UnparseableMessage(f"the message structure cannot be read ({type(exc).__name__}: {exc})") from exc
    assert isinstance(message, EmailMessage)  # what policy.default builds
    return message, Spooled(raw_path, skeleton), digest.hexdigest(), size


def message_key(message: Message, sha256: str) -> str:
    match = re.search(r"<[^<>\s]{1,290}>", _header(message, "Message-ID"))
    return f"mid:{match.group(0).lower()}" if match else f"sha256:{sha256}"


def parse(source: BinaryIO, spool: Path, max_attachment_bytes: int) -> ParsedMail:
    """Read one message from ``source`` into ``spool`` (a folder the caller removes)."""
    message, spooled, sha256, size = read_message(source, spool)
    if size == 0:
        raise UnparseableMessage("the input is empty")
    try:
        sender, sender_name = _sender(message)
        subject = _header(message, "Subject")[:500]
        full_text, files, left_out = _body_and_attachments(message, spool, max_attachment_bytes, spooled)
    except Exception as exc:  # the stdlib's parser gives up on some structures
        raise UnparseableMessage(f"the message structure cannot be read ({type(exc).__name__}: {exc})") from exc
    forwarded = bool(re.match(r"^\s*(?:fw|fwd|wg|tr)\s*:", subject, re.IGNORECASE)) or bool(FORWARDED.search(full_text))
    recipients = [v for name in ("To", "Cc", "Delivered-To", "X-Original-To") for v in _all_headers(message, name)]
    return ParsedMail(
        message_key=message_key(message, sha256),
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=full_text if forwarded else strip_quotes(full_text),
        full_text=full_text,
        in_reply_to=_header(message, "In-Reply-To"),
        references=_header(message, "References"),
        recipients=recipients,
        cc=[address.lower() for _name, address in getaddresses(_all_headers(message, "Cc")) if "@" in address],
        authentication_results=_all_headers(message, "Authentication-Results"),
        auto=auto_reason(message, sender, subject)
        or ("automatic reply (out-of-office text)" if AUTO_BODY.search(full_text[:300]) else None),
        attachments=files,
        left_out=left_out,
        raw_path=spooled.raw_path,
        raw_size=size,
        forwarded=forwarded,
    )


def addresses(values: Iterable[str]) -> list[str]:
    return [a.lower() for _n, a in getaddresses(list(values)) if "@" in a]
