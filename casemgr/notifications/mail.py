"""What an outbound e-mail is made of: pure functions of plain values.

Every message Casemgr sends carries ``Date``, its own ``Message-ID`` (kept on the
outbox row, so a retry sends the very same id and receivers can dedupe),
``Auto-Submitted: auto-generated`` (RFC 3834: auto-responders must not answer), a
text/plain and a text/html alternative. Mail about a case also carries
``In-Reply-To``/``References`` naming the case's signed thread root and the previous
message of the case to the same recipient (so every mail client threads it), a
link to the case page and a ``Reply-To`` plus-addressed with the case's signed
token (:mod:`casemgr.channels.mail_ids`), so that a reply finds its case.

No text a user wrote reaches a header unchecked: CR and LF are folded into spaces.
The HTML part escapes every value (Jinja autoescape); no user text goes into CSS or
a URL (the link is built from the base URL and the case number only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from jinja2 import Environment, FileSystemLoader, select_autoescape

from casemgr.channels import mail_ids

MAIL_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "mail"
DEFAULT_DOMAIN = "casemgr.invalid"
#: One bare address (the outbox stores addresses, never names): nothing that could add a recipient or a header.
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")


def one_line(value: str) -> str:
    """A header value from any text: CR, LF and other line breaks become spaces."""
    return " ".join(str(value).split())


@dataclass(frozen=True)
class MailSettings:
    """The app's outbound mail settings (:func:`from_config` reads them)."""

    mail_from: str
    base_url: str
    reply_to: str
    secret: bytes
    domain: str

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        mail_from = one_line(config["MAIL_FROM"])
        domain = parseaddr(mail_from)[1].rpartition("@")[2] or DEFAULT_DOMAIN
        base_url = str(config.get("BASE_URL") or "http://127.0.0.1:5000/")
        if urlparse(base_url).scheme not in ("http", "https"):
            raise ValueError(f"CASEMGR_BASE_URL must be an http(s) URL, not {base_url!r}")
        return cls(
            mail_from=mail_from,
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            reply_to=one_line(config.get("MAIL_REPLY_TO") or ""),
            secret=mail_ids.mail_secret(config["SECRET_KEY"]),
            domain=domain,
        )

    def case_url(self, case_number: str) -> str:
        return f"{self.base_url}cases/{quote(case_number, safe='')}"


@dataclass(frozen=True)
class Outbound:
    """One claimed outbox row, as plain values."""

    notification_id: int
    to: str
    subject: str
    body: str
    created_at: datetime
    message_id: str
    in_reply_to: str | None = None
    case_number: str | None = None


def new_message_id(settings: MailSettings, unique: str, case_number: str | None) -> str:
    return mail_ids.message_id(settings.secret, unique, settings.domain, case_number)


def subject_line(subject: str, case_number: str | None) -> str:
    """One line; mail about a case always names it (``[CS-000123] ...``) for people and old clients."""
    line = one_line(subject)
    if case_number and case_number.upper() not in line.upper():
        line = f"[{case_number}] {line}"
    return line


def threading(settings: MailSettings, case_number: str, in_reply_to: str | None) -> tuple[str, str]:
    """(In-Reply-To, References) of a mail about a case: the thread root, then the message answered."""
    root = mail_ids.thread_root_id(settings.secret, case_number, settings.domain)
    if in_reply_to and in_reply_to != root:
        return in_reply_to, f"{root} {in_reply_to}"
    return root, root


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(MAIL_TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )


def render_bodies(settings: MailSettings, mail: Outbound) -> tuple[str, str]:
    """The text/plain and text/html bodies (templates/mail/notification.txt and .html)."""
    values = {
        "subject": one_line(mail.subject),
        "body": mail.body,
        "case_number": mail.case_number,
        "case_url": settings.case_url(mail.case_number) if mail.case_number else None,
        "reply_by_mail": bool(settings.reply_to and mail.case_number),
    }
    env = _templates()
    return env.get_template("notification.txt").render(values), env.get_template("notification.html").render(values)


def build_message(settings: MailSettings, mail: Outbound) -> EmailMessage:
    """The whole e-mail of one outbox row; ``ValueError`` if its address is not one bare address
    (the outbox keeps it, with that error, until a support manager discards it)."""
    if not ADDRESS.fullmatch(mail.to):
        raise ValueError(f"not an e-mail address: {one_line(mail.to)[:254]!r}")
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = Address(addr_spec=mail.to)
    msg["Subject"] = subject_line(mail.subject, mail.case_number)
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = mail.message_id
    if mail.case_number:
        in_reply_to, references = threading(settings, mail.case_number, mail.in_reply_to)
        msg["In-Reply-To"], msg["References"] = in_reply_to, references
    if settings.reply_to:
        msg["Reply-To"] = (
            mail_ids.reply_address(settings.secret, settings.reply_to, mail.case_number)
            if mail.case_number
            else settings.reply_to
        )
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders never answer it (no loops)
    text, html = render_bodies(settings, mail)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
