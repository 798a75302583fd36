"""Where one readable inbound message goes: which case, who sent it, and what it becomes.

Separate from the ingest pipeline (``casemgr.channels.mail``: parsing, attachments, exactly-once,
dead letters) because these are the filing rules: a reply or an internal note on the case it
names, an unverified entry, a new case on the asset it names, or triage. ``MailSettings`` and
``Outcome`` are what those rules read and answer."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
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
from casemgr.channels.mail_parse import ParsedMail, case_number_in, dmarc_pass
from casemgr.errors import DomainError
from casemgr.notifications.services import queue_email
from casemgr.organizations.models import Organization
from casemgr.safety.services import SafetyBlocked

log = logging.getLogger(__name__)

SEVERITY = re.compile(r"\b(?:sev(?:erity)?\s*[-:]?\s*|\[S)([1-4])\b", re.IGNORECASE)
TOKEN = re.compile(r"[A-Z0-9][A-Z0-9-]{4,63}", re.IGNORECASE)
DEFAULT_SEVERITY = 3


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
