"""Inbound e-mail, like a mail gateway: every message that can be read is filed,
exactly once, and nothing a customer sends is bounced or lost.

1. **Which case.** ``In-Reply-To``/``References`` carrying a signed id of ours
   first, then the signed reply address among ``To``/``Cc``/``Delivered-To``, then
   the ``CS-`` tag of the subject (:mod:`casemgr.channels.mail_ids`).
2. **Who sent it.** ``From:`` is a claim. The sender is authenticated only when the
   message came to the signed reply address of that very case, or carries an
   ``Authentication-Results`` header of a trusted authserv-id
   (``CASEMGR_MAIL_TRUSTED_AUTHSERV``) with ``dmarc=pass`` for the From domain.
   An authenticated customer of the case's organisation replies under their name;
   vendor staff by e-mail only ever add an internal note (a mail "from" an
   engineer never becomes a public vendor reply; the reply address, which the
   customer also holds, is no proof for staff: only DMARC is). Everything else
   is filed unverified (:func:`casemgr.channels.mail_services.file_unverified`).
3. **Never fail the MTA.** Parsing tolerates bad charsets, NULs and broken
   headers (:mod:`casemgr.channels.mail_parse`); oversized attachments are left
   out with a note; a message without a usable sender goes to triage; automatic
   replies are never answered and acknowledgements are damped per sender; a
   message that still cannot be read is kept whole in the dead-letter folder and
   the support managers are told. Only a database that cannot be reached is an
   error (the MTA keeps the message and retries).

This module is the pipeline (parse, attachments, exactly-once, dead letters); the
filing rules of points 1 and 2 live in :mod:`casemgr.channels.mail_routing`.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
from contextlib import ExitStack
from datetime import datetime
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.channels import mail_services as filing
from casemgr.channels.mail_parse import ParsedMail, UnparseableMessage, parse
from casemgr.channels.mail_routing import MailSettings, Outcome, _file
from casemgr.metrics.series import MAIL_INGESTED
from casemgr.safety.services import SafetyBlocked

log = logging.getLogger(__name__)

#: The original message kept with the entry may be this many times the attachment limit.
ORIGINAL_FACTOR = 4


def ingest(
    session: Session, source: bytes | BinaryIO, store: AttachmentStore, now: datetime, settings: MailSettings
) -> Outcome:
    """File one message. Returns what was done (counted once committed); raises only when
    the database cannot be used."""
    outcome = _ingest_stream(session, source, store, now, settings)
    MAIL_INGESTED.labels(outcome=outcome.action).inc()
    return outcome


def _ingest_stream(
    session: Session, source: bytes | BinaryIO, store: AttachmentStore, now: datetime, settings: MailSettings
) -> Outcome:
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    spool = Path(tempfile.mkdtemp(prefix="casemgr-mail-"))
    mail: ParsedMail | None = None
    raw_path: Path | None = None
    try:
        try:
            mail = parse(stream, spool, store.max_bytes)
            raw_path = mail.raw_path
            return _ingest(session, mail, store, now, settings)
        except (OperationalError, InterfaceError):
            session.rollback()
            raise  # the database is down: the MTA keeps the message and retries
        except Exception as exc:
            session.rollback()
            if raw_path is None:
                raw_path = next(iter(sorted(spool.glob("raw-*.eml"))), None)
            return _dead_letter(session, raw_path, exc, mail, now, settings)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def _dead_letter(
    session: Session,
    raw_path: Path | None,
    exc: Exception,
    mail: ParsedMail | None,
    now: datetime,
    settings: MailSettings,
) -> Outcome:
    reason = str(exc) if isinstance(exc, UnparseableMessage) else f"{type(exc).__name__}: {exc}"
    if raw_path is None or not raw_path.exists() or raw_path.stat().st_size == 0:
        log.warning("mail ingest: empty input, nothing to keep (%s)", reason)
        return Outcome("dead_letter", None, "empty input")
    folder = settings.dead_letter_dir or Path(tempfile.gettempdir()) / "casemgr-mail-dead-letter"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{now:%Y%m%dT%H%M%S}-{raw_path.stem}.eml"  # the spool name is unique
    shutil.copyfile(raw_path, target)
    sender = mail.sender if mail else _claimed_sender(raw_path)
    log.error("mail from %s could not be filed (%s); kept as %s", sender or "an unknown sender", reason, target)
    filing.report_dead_letter(session, path=str(target), reason=reason[:500], sender=sender, now=now)
    return Outcome("dead_letter", None, f"kept as {target}")


def _claimed_sender(raw_path: Path) -> str | None:
    """The From address of a message that could not be parsed, if its headers can be read at all."""
    try:
        with raw_path.open("rb") as raw:
            headers = BytesParser(policy=compat32).parse(raw, headersonly=True)
        address = parseaddr(str(headers.get("From", "")))[1].strip().lower()
    except Exception:  # the message is already known to be broken
        return None
    return address if "@" in address else None


def _uploads(mail: ParsedMail, stack: ExitStack, store: AttachmentStore) -> tuple[list[Upload], list[tuple[str, int]]]:
    """The message's files as uploads (open streams), the original .eml last; and what is left out."""
    uploads = [Upload(f.filename, stack.enter_context(f.path.open("rb")), f.content_type) for f in mail.attachments]
    left_out = [(lo.filename, lo.size) for lo in mail.left_out]
    if mail.raw_path is not None:
        if mail.raw_size <= store.max_bytes * ORIGINAL_FACTOR:
            uploads.append(
                Upload("original-message.eml", stack.enter_context(mail.raw_path.open("rb")), "message/rfc822")
            )
        else:
            left_out.append(("original-message.eml", mail.raw_size))
    return uploads, left_out


def _ingest(
    session: Session, mail: ParsedMail, store: AttachmentStore, now: datetime, settings: MailSettings
) -> Outcome:
    if filing.already_filed(session, mail.message_key) is not None:
        log.info("mail %s from %s already filed: nothing to do", mail.message_key, mail.sender)
        return Outcome("duplicate", None, mail.message_key)
    originals = store.with_limit(store.max_bytes * ORIGINAL_FACTOR)
    with ExitStack() as stack:
        uploads, left_out = _uploads(mail, stack, store)
        try:
            outcome, case = _file(session, mail, uploads, originals, now, settings)
        except IntegrityError:
            session.rollback()
            if filing.already_filed(session, mail.message_key) is not None:
                return Outcome("duplicate", None, mail.message_key)
            raise
    if left_out and case is not None:
        public = outcome.action in ("reply", "case", "triage") or (
            outcome.action == "unverified" and outcome.detail.endswith("customer reply")
        )
        try:
            filing.note_left_out(session, case, left_out, store.max_bytes, public=public, now=now)
        except SafetyBlocked:  # the file names read as unsafe advice: staff see them, the customer not
            filing.note_left_out(session, case, left_out, store.max_bytes, public=False, now=now)
        outcome = Outcome(outcome.action, outcome.case_number, (outcome.detail + " attachments left out").strip())
    return outcome
