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
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset
from casemgr.auth import policy as access
from casemgr.auth.models import User
from casemgr.auth.services import find_user_by_email
from casemgr.cases import comments, opening
from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.watchers import add_watchers_by_email
from casemgr.channels import mail_ids
from casemgr.channels import mail_services as filing
from casemgr.channels.mail_parse import (
    ParsedMail,
    UnparseableMessage,
    case_number_in,
    dmarc_pass,
    parse,
)
from casemgr.errors import DomainError
from casemgr.metrics.series import MAIL_INGESTED
from casemgr.notifications.services import queue_email
from casemgr.organizations.models import Organization
from casemgr.safety.services import SafetyBlocked

log = logging.getLogger(__name__)

SEVERITY = re.compile(r"\b(?:sev(?:erity)?\s*[-:]?\s*|\[S)([1-4])\b", re.IGNORECASE)
TOKEN = re.compile(r"[A-Z0-9][A-Z0-9-]{4,63}", re.IGNORECASE)
DEFAULT_SEVERITY = 3
#: The original message kept with the entry may be this many times the attachment limit.
ORIGINAL_FACTOR = 4


@dataclass(frozen=True)
class MailSettings:
    secret: bytes
    reply_to: str = ""
    trusted_authserv: tuple[str, ...] = ()
    ack_interval: timedelta = timedelta(hours=1)
    dead_letter_dir: Path | None = None

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        return cls(
            secret=mail_ids.mail_secret(config["SECRET_KEY"]),
            reply_to=config.get("MAIL_REPLY_TO", "") or "",
            trusted_authserv=tuple(config.get("MAIL_TRUSTED_AUTHSERV", ()) or ()),
            ack_interval=timedelta(minutes=int(config.get("MAIL_ACK_INTERVAL_MINUTES", 60))),
            dead_letter_dir=Path(config["MAIL_DEAD_LETTER_DIR"]) if config.get("MAIL_DEAD_LETTER_DIR") else None,
        )


@dataclass(frozen=True)
class Outcome:
    #: reply, note, unverified, case, triage, ignored, duplicate, dead_letter
    action: str
    case_number: str | None
    detail: str = ""


def severity_in(text: str) -> int:
    match = SEVERITY.search(text)
    return int(match.group(1)) if match else DEFAULT_SEVERITY


def match_case_number(mail: ParsedMail, settings: MailSettings) -> tuple[str | None, str]:
    """The case a message belongs to and how it was found: headers, reply address, subject."""
    number = mail_ids.case_in_message_ids(settings.secret, mail.in_reply_to, mail.references)
    if number:
        return number, "headers"
    if settings.reply_to:
        number = mail_ids.case_in_reply_address(settings.secret, settings.reply_to, *mail.recipients)
        if number:
            return number, "reply address"
    number = case_number_in(mail.subject)
    return (number, "subject") if number else (None, "")


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


def _file(
    session: Session,
    mail: ParsedMail,
    uploads: list[Upload],
    store: AttachmentStore,
    now: datetime,
    settings: MailSettings,
) -> tuple[Outcome, Case | None]:
    row = filing.record(
        session, message_key=mail.message_key, sender=mail.sender, subject_key=mail.subject_key, outcome="", now=now
    )
    number, found_by = match_case_number(mail, settings)
    case = session.scalar(select(Case).where(Case.number == number)) if number else None
    user = find_user_by_email(session, mail.sender) if mail.sender else None
    if user is not None and not user.is_active:
        user = None
    if case is None and mail.sender and not mail.forwarded:
        # a repeat within the damping window (an auto-responder without headers, a second try)
        case = filing.recent_case_of(
            session, mail.sender, now, settings.ack_interval, None if mail.auto else mail.subject_key
        )
        found_by = "a recent message of the sender" if case is not None else found_by
    if case is not None and case.status != "closed":
        row.case_id = case.id
        return _file_on_case(session, row, mail, user, case, found_by, uploads, store, now, settings), case
    return _open_new(
        session, row, mail, user, referenced=number, uploads=uploads, store=store, now=now, settings=settings
    )


def _authenticated(mail: ParsedMail, case: Case | None, settings: MailSettings) -> str | None:
    """How the sender is authenticated for ``case`` (None: not at all)."""
    if dmarc_pass(mail.authentication_results, settings.trusted_authserv, mail.from_domain):
        return "DMARC pass"
    if case is not None and settings.reply_to:
        via = mail_ids.case_in_reply_address(settings.secret, settings.reply_to, *mail.recipients)
        if via == case.number:
            return "the case's reply address"
    return None


def _file_on_case(
    session: Session,
    row: Any,
    mail: ParsedMail,
    user: User | None,
    case: Case,
    found_by: str,
    uploads: list[Upload],
    store: AttachmentStore,
    now: datetime,
    settings: MailSettings,
) -> Outcome:
    sender = mail.sender or "(no usable sender)"
    if mail.auto is not None:
        row.outcome = "ignored"
        comments.note_automatic_message(session, case, sender=sender, reason=mail.auto, body=mail.text, now=now)
        log.info("automatic mail from %s kept on %s, not answered (%s)", sender, case.number, mail.auto)
        return Outcome("ignored", case.number, mail.auto)
    how = _authenticated(mail, case, settings)
    body = mail.text or "(no text)"
    if how is not None and user is not None:
        is_vendor_staff = not user.is_customer
        if access.can_reply_as_customer(user, case) or (
            is_vendor_staff and access.can_work_case(user) and how == "DMARC pass"
        ):
            row.outcome = "note" if is_vendor_staff else "reply"
            try:
                # An authenticated sender's Cc: are people it wants to hear: the known ones watch the case.
                add_watchers_by_email(session, case, mail.cc, now)
                comments.add_comment(
                    session,
                    user,
                    store,
                    case,
                    body=body,
                    public=not is_vendor_staff,
                    now=now,
                    uploads=uploads,
                    channel="email",
                )
            except DomainError as exc:
                session.rollback()
                log.info("mail reply of %s to %s not added as theirs (%s); filed unverified", sender, case.number, exc)
                row = _again(session, mail, case, uploads, now)
            else:
                log.info("mail from %s (%s) added to %s as %s", sender, how, case.number, row.outcome)
                return Outcome(row.outcome, case.number, f"found by {found_by}; {how}")
    domain = mail.from_domain
    staff_domain = bool(domain) and domain in filing.vendor_domains(session)
    # Only someone of the customer's own organisation (or its own mail domains) may appear on its
    # timeline, even marked unverified: a stranger guessing a case number reaches staff only.
    of_customer = (user is not None and user.organization_id == case.organization_id and user.is_customer) or (
        user is None and bool(domain) and domain in filing.organisation_domains(session, case.organization_id)
    )
    internal = staff_domain or not of_customer
    if how is None:
        reason = "not authenticated: no DMARC pass from a trusted server, not sent to the case's reply address"
    else:
        reason = f"authenticated by {how}, but not a contact who may reply on this case"
    row.outcome = "unverified"

    def file(internal: bool, held_back: bool = False) -> None:
        filing.file_unverified(
            session,
            store,
            case,
            sender=sender,
            sender_name=mail.sender_name,
            body=body,
            internal=internal,
            reason=reason,
            uploads=uploads,
            now=now,
            held_back=held_back,
        )

    try:
        file(internal)
    except SafetyBlocked:  # recorded by the guard, the session rolled back: keep it for staff
        _again(session, mail, case, uploads, now)
        file(True, held_back=True)
        internal = True
    return Outcome(
        "unverified", case.number, f"found by {found_by}; {'internal note' if internal else 'customer reply'}"
    )


def _again(session: Session, mail: ParsedMail, case: Case | None, uploads: list[Upload], now: datetime) -> Any:
    """After a rolled-back attempt: the exactly-once record again, the files from their start."""
    for upload in uploads:
        upload.stream.seek(0)
    row = filing.record(
        session, message_key=mail.message_key, sender=mail.sender, subject_key=mail.subject_key, outcome="", now=now
    )
    if case is not None:
        row.case_id = case.id
    return row


def _open_new(
    session: Session,
    row: Any,
    mail: ParsedMail,
    user: User | None,
    *,
    referenced: str | None,
    uploads: list[Upload],
    store: AttachmentStore,
    now: datetime,
    settings: MailSettings,
) -> tuple[Outcome, Case]:
    authenticated = user is not None and _authenticated(mail, None, settings) is not None
    severity = severity_in(mail.subject)
    description = mail.full_text if mail.forwarded else mail.text
    if referenced:
        description += f"\n\n(The subject refers to {referenced}.)"
    if mail.sender is None:
        description = "[No usable sender address: nobody can be answered by e-mail]\n\n" + description
    elif user is not None and not authenticated:
        description = (
            f"[{filing.UNVERIFIED.capitalize()}: the message claims to be from {user.name} <{mail.sender}>,"
            " which could not be verified]\n\n" + description
        )
    if mail.auto:
        description = f"[Not answered automatically: {mail.auto}]\n\n{description}"
    case: Case | None = None
    if authenticated and user is not None and user.is_customer and mail.auto is None:
        asset = _asset_named(session, user, f"{mail.subject}\n{mail.text}")
        if asset is not None:
            try:
                case = opening.open_case(
                    session,
                    user,
                    store,
                    asset_serial=asset.serial,
                    severity=severity,
                    subject=(mail.subject or "(no subject)")[:200],
                    description=description or "(empty)",
                    now=now,
                    uploads=uploads,
                    channel="email",
                )
            except CaseRuleError as exc:
                session.rollback()
                log.info("mail case on %s refused (%s); opening a triage case", asset.serial, exc)
                row = _again(session, mail, None, uploads, now)
    if case is None:
        org_id = user.organization_id if (authenticated and user is not None) else _vendor_org(session)
        row.outcome = "triage"
        case = opening.open_triage_case(
            session,
            organization_id=org_id,
            opened_by=user if authenticated else None,
            severity=severity,
            subject=mail.subject,
            description=description,
            now=now,
            channel="email",
            requester=mail.sender or "(no usable sender)",
            uploads=uploads,
            store=store,
        )
        action = "triage"
    else:
        row.outcome = "case"
        row.acknowledged = True  # open_case acknowledged the opener
        action = "case"
    row.case_id = case.id
    if mail.auto is not None:
        row.outcome = "ignored"
        session.commit()
        log.info("automatic mail from %s opened %s, not answered (%s)", mail.sender, case.number, mail.auto)
        return Outcome("ignored", case.number, mail.auto), case
    if action == "triage" and mail.sender is not None:
        if filing.acknowledged_recently(session, mail.sender, now, settings.ack_interval):
            log.info("no acknowledgement to %s for %s: one was sent within the hour", mail.sender, case.number)
        else:
            row.acknowledged = True
            queue_email(
                session,
                to=mail.sender,
                case_id=case.id,
                now=now,
                subject=f"[{case.number}] We received your request: {case.subject}",
                body=f"Your request is case {case.number}. An engineer will answer under your support plan.\n"
                f"Reply to this e-mail keeping {case.number} in the subject to add information.",
            )
    session.commit()
    log.info("mail from %s opened %s (%s)", mail.sender or "an unknown sender", case.number, action)
    return Outcome(action, case.number), case


def _asset_named(session: Session, user: User, text: str) -> Asset | None:
    """The first of the sender's registered serials that the message mentions."""
    tokens = {t.upper() for t in TOKEN.findall(text)}
    if not tokens:
        return None
    return session.scalar(
        select(Asset)
        .where(Asset.serial.in_(sorted(tokens)), access.org_filter(user, Asset.organization_id))
        .order_by(Asset.serial)
        .limit(1)
    )


class NoVendorOrganisation(RuntimeError):
    """No vendor organisation exists yet to receive unknown senders."""


def _vendor_org(session: Session) -> int:
    """Unknown and unverified senders land in the vendor's own triage: staff see it, no customer does."""
    org_id = session.scalar(select(Organization.id).where(Organization.is_vendor.is_(True)).limit(1))
    if org_id is None:
        raise NoVendorOrganisation("no vendor organisation exists yet to receive unknown senders")
    return org_id
