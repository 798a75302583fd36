"""``casemgr mail fetch``: file the messages of an IMAP mailbox, for deployments without an MTA pipe.

A pass searches the mailbox for messages not yet flagged ``$CasemgrFiled``, reads
each without marking it (``BODY.PEEK[]``) a megabyte at a time into a spool file, so a
message of any size never sits in memory whole, files it with the same streaming
:func:`casemgr.channels.mail.ingest` the MTA pipe uses, and only then flags it
(or moves it to the done folder). A fetcher that stops between filing and
flagging re-reads the message on its next pass, and the exactly-once record
makes that a no-op: each message is filed once.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from flask import Flask

from casemgr.cases.attachments import AttachmentStore
from casemgr.channels.mail import ingest
from casemgr.channels.mail_routing import MailSettings
from casemgr.db import new_session
from casemgr.registry import registry_of

log = logging.getLogger(__name__)

FILED = "$CasemgrFiled"
#: How much of a message one FETCH asks for (a partial fetch, RFC 3501 section 6.4.5).
FETCH_CHUNK = 1024 * 1024


class MailboxError(RuntimeError):
    """The mailbox cannot be reached or used (login refused, no such folder ...)."""


@dataclass(frozen=True)
class ImapSource:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    use_ssl: bool = True
    done_folder: str = ""
    timeout: float = 60.0

    @classmethod
    def from_url(cls, url: str, *, done_folder: str = "") -> ImapSource:
        """``imaps://user:password@host:993/INBOX`` (or ``imap://`` on a trusted network)."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or parts.username is None:
            raise ValueError("CASEMGR_IMAP_URL must look like imaps://user:password@host:993/INBOX")
        use_ssl = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if use_ssl else 143),
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
            use_ssl=use_ssl,
            done_folder=done_folder,
        )

    def connect(self) -> imaplib.IMAP4:
        try:
            conn: imaplib.IMAP4
            if self.use_ssl:
                conn = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=ssl.create_default_context(), timeout=self.timeout
                )
            else:
                conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except OSError as exc:
            raise MailboxError(f"IMAP {self.host}:{self.port}: {exc}") from exc
        try:
            conn.login(self.user, self.password)
            typ, data = conn.select(_quote(self.mailbox))
            if typ != "OK":
                raise MailboxError(f"cannot open mailbox {self.mailbox!r} on {self.host}: {_text(data)}")
            return conn
        except (OSError, imaplib.IMAP4.error, MailboxError) as exc:
            with contextlib.suppress(OSError):
                conn.shutdown()
            if isinstance(exc, MailboxError):
                raise
            raise MailboxError(f"IMAP {self.host}:{self.port} as {self.user}: {exc}") from exc


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: object) -> str:
    if isinstance(data, list):
        return " ".join(d.decode(errors="replace") if isinstance(d, bytes) else str(d) for d in data)
    return str(data)


def _message_bytes(data: list) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _spool_message(conn: imaplib.IMAP4, uid: str, into: BinaryIO) -> str | None:
    """Copy message ``uid`` into ``into`` one partial fetch at a time; the server's
    answer when it cannot be read, else None."""
    offset = 0
    while True:
        typ, fetched = conn.uid("FETCH", uid, f"(BODY.PEEK[]<{offset}.{FETCH_CHUNK}>)")
        if typ != "OK":
            return _text(fetched)
        piece = _message_bytes(fetched)
        if piece is None:  # past the end the server answers an empty string, not a literal
            return None if offset else (_text(fetched) or "no such message")
        into.write(piece)
        offset += len(piece)
        if len(piece) < FETCH_CHUNK:
            return None


def fetch_once(app: Flask, source: ImapSource, store: AttachmentStore) -> Counter[str]:
    """One pass: every message not yet filed is filed, then flagged or moved."""
    settings = MailSettings.from_config(app.config)
    clock = registry_of(app).clock
    counts: Counter[str] = Counter()
    conn = source.connect()
    try:
        typ, data = conn.uid("SEARCH", "UNKEYWORD", FILED, "UNDELETED")
        if typ != "OK":
            raise MailboxError(f"IMAP SEARCH failed: {_text(data)}")
        uids = data[0].split() if data and data[0] else []
        for uid in (u.decode() for u in uids):
            with tempfile.TemporaryFile(prefix="casemgr-imap-") as spool:
                problem = _spool_message(conn, uid, spool)
                if problem is not None:
                    log.warning("IMAP message %s of %s could not be fetched: %s", uid, source.mailbox, problem)
                    counts["unreadable"] += 1
                    continue
                spool.seek(0)
                with new_session(app, write=True) as session:
                    outcome = ingest(session, spool, store, clock.now(), settings)
            counts[outcome.action] += 1
            _done(conn, source, uid)
            log.info("IMAP %s uid %s: %s %s", source.mailbox, uid, outcome.action, outcome.case_number or "")
        if source.done_folder and uids:
            conn.expunge()
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
    return counts


def _done(conn: imaplib.IMAP4, source: ImapSource, uid: str) -> None:
    conn.uid("STORE", uid, "+FLAGS", f"(\\Seen {FILED})")
    if source.done_folder:
        typ, data = conn.uid("COPY", uid, _quote(source.done_folder))
        if typ != "OK":
            raise MailboxError(f"cannot move filed mail to {source.done_folder!r}: {_text(data)}")
        conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")


def wait_for_mail(source: ImapSource, timeout: float, on_idle: Callable[[], object] | None = None) -> bool:
    """IMAP IDLE (RFC 2177) until the server reports new mail or ``timeout`` seconds pass.

    Python 3.11's imaplib has no ``idle()``; the command is written by hand."""
    conn = source.connect()
    try:
        tag = b"CMIDLE1"  # a fresh connection: any tag imaplib itself never makes is unique
        conn.send(tag + b" IDLE\r\n")
        if not conn.readline().startswith(b"+"):
            return False
        if on_idle is not None:
            on_idle()  # the server now reports new mail as it comes
        conn.sock.settimeout(timeout)
        try:
            while True:
                line = conn.readline()
                if not line:
                    return False
                if b"EXISTS" in line or b"RECENT" in line:
                    return True
        except TimeoutError:
            return False
        finally:
            conn.sock.settimeout(source.timeout)
            conn.send(b"DONE\r\n")
            while True:
                line = conn.readline()
                if not line or line.startswith(tag):
                    break
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()


def run_fetcher(
    app: Flask, source: ImapSource, *, store: AttachmentStore, once: bool, idle: bool, interval: int
) -> Iterator[Counter[str]]:
    """Passes until stopped: one, or one per interval (or per IDLE wake-up)."""
    while True:
        yield fetch_once(app, source, store)
        if once:
            return
        if idle:
            wait_for_mail(source, timeout=max(interval, 1))
        else:
            time.sleep(max(interval, 1))
