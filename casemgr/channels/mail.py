"""Inbound e-mail, like a mail gateway: every well-formed message becomes a case
or a reply, with an acknowledgement through the outbox; nothing loops.

The decisions (is it an auto-reply? which case number? which serial?) are pure
functions; :func:`ingest` applies them with the case services.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset
from casemgr.auth import policy as access
from casemgr.auth.models import User
from casemgr.auth.services import find_user_by_email
from casemgr.cases import services
from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import DomainError, NotFoundError
from casemgr.notifications.services import queue_email
from casemgr.organizations.models import Organization

log = logging.getLogger(__name__)

CASE_NUMBER = re.compile(r"\bCS-(\d{6})\b", re.IGNORECASE)
SEVERITY = re.compile(r"\b(?:sev(?:erity)?\s*[-:]?\s*|\[S)([1-4])\b", re.IGNORECASE)
TOKEN = re.compile(r"[A-Z0-9][A-Z0-9-]{4,63}", re.IGNORECASE)
DAEMONS = ("mailer-daemon", "postmaster", "noreply", "no-reply")
DEFAULT_SEVERITY = 3


class MalformedMessage(ValueError):
    """Not a usable e-mail (no sender): refused with a reason, never a traceback."""


@dataclass
class Parsed:
    sender: str
    subject: str
    body: str
    attachments: list[Upload] = field(default_factory=list)
    auto: str | None = None  # why this message must not get an answer


def parse(raw: bytes) -> Parsed:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    if "@" not in sender:
        raise MalformedMessage("the message has no sender address (From:)")
    subject = " ".join(str(message.get("Subject", "")).split())
    return Parsed(
        sender=sender,
        subject=subject,
        body=_body(message),
        attachments=_attachments(message),
        auto=auto_reason(message, sender),
    )


def auto_reason(message: EmailMessage, sender: str) -> str | None:
    """Auto-replies, bounces and bulk mail are recorded but never answered (no loops)."""
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {message.get('Precedence')}"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "auto-responder header"
    if sender.split("@")[0] in DAEMONS or str(message.get("Return-Path", "")).strip() == "<>":
        return "bounce (mailer daemon)"
    return None


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    return text.strip()


def _attachments(message: EmailMessage) -> list[Upload]:
    uploads = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)  # bytes, or None for a multipart attachment
        if isinstance(payload, bytes) and payload:
            uploads.append(
                Upload(part.get_filename() or "attachment.bin", io.BytesIO(payload), part.get_content_type())
            )
    return uploads


def case_number_in(subject: str) -> str | None:
    match = CASE_NUMBER.search(subject)
    return f"CS-{match.group(1)}" if match else None


def severity_in(text: str) -> int:
    match = SEVERITY.search(text)
    return int(match.group(1)) if match else DEFAULT_SEVERITY


@dataclass(frozen=True)
class Outcome:
    action: str  # "reply", "case", "triage", "ignored"
    case_number: str | None
    detail: str = ""


def ingest(session: Session, raw: bytes, store: AttachmentStore, now: datetime) -> Outcome:
    mail = parse(raw)
    sender = find_user_by_email(session, mail.sender)
    if sender is not None and not sender.is_active:
        sender = None
    number = case_number_in(mail.subject)
    if number and sender is not None:
        try:
            case = access.get_case_for(session, sender, number)
        except NotFoundError:
            case = None
        if case is not None and mail.auto is not None:
            services.note_automatic_message(
                session, case, sender=mail.sender, reason=mail.auto, body=mail.body, now=now
            )
            return Outcome("ignored", case.number, mail.auto)
        if case is not None and case.status != "closed":
            try:
                services.add_comment(
                    session,
                    sender,
                    store,
                    case,
                    body=mail.body or "(no text)",
                    public=True,
                    now=now,
                    uploads=mail.attachments,
                    channel="email",
                )
                return Outcome("reply", case.number)
            except DomainError as exc:  # a refused reply (read-only sender, safety guard...): open a case instead
                session.rollback()
                log.info("mail reply to %s not added (%s); opening a case", number, exc)
    case = _open(session, mail, sender, store, now, referenced=number)
    if mail.auto is None:
        if case.asset_id is not None:  # opened on the sender's asset: open_case has acknowledged it
            return Outcome("case", case.number)
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
        return Outcome("case" if case.asset_id else "triage", case.number)
    session.commit()
    return Outcome("ignored", case.number, mail.auto)


def _open(
    session: Session, mail: Parsed, sender: User | None, store: AttachmentStore, now: datetime, referenced: str | None
) -> Case:
    severity = severity_in(mail.subject)
    description = mail.body + (f"\n\n(The subject refers to {referenced}.)" if referenced else "")
    if mail.auto:
        description = f"[Not answered automatically: {mail.auto}]\n\n{description}"
    if sender is not None and sender.is_customer and mail.auto is None:
        asset = _asset_named(session, sender, f"{mail.subject}\n{mail.body}")
        if asset is not None:
            try:
                return services.open_case(
                    session,
                    sender,
                    store,
                    asset_serial=asset.serial,
                    severity=severity,
                    subject=mail.subject or "(no subject)",
                    description=description or "(empty)",
                    now=now,
                    uploads=mail.attachments,
                    channel="email",
                )
            except CaseRuleError as exc:
                session.rollback()
                log.info("mail case on %s refused (%s); opening a triage case", asset.serial, exc)
    org_id = sender.organization_id if sender is not None else _vendor_org(session)
    return services.open_triage_case(
        session,
        organization_id=org_id,
        opened_by=sender,
        severity=severity,
        subject=mail.subject,
        description=description,
        now=now,
        channel="email",
        requester=mail.sender,
        uploads=mail.attachments,
        store=store,
    )


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


def _vendor_org(session: Session) -> int:
    """Unknown senders land in the vendor's own triage: staff see it, no customer does."""
    org_id = session.scalar(select(Organization.id).where(Organization.is_vendor.is_(True)).limit(1))
    if org_id is None:
        raise MalformedMessage("no vendor organisation exists yet to receive unknown senders")
    return org_id
