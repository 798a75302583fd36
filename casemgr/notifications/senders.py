"""E-mail transports: SMTP from ``SMTP_URL``, or a local Maildir without one.

A sender only transports a message that :mod:`casemgr.notifications.mail` built
(headers, threading, text and HTML); it raises on any failure, and the outbox
keeps the message and tries again."""

from __future__ import annotations

import mailbox
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class MaildirSender:
    """Writes each message into a Maildir (``instance/mail`` by default) for inspection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, message: EmailMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self.path, create=True)
        try:
            box.add(message)
        finally:
            box.close()


class SmtpRefused(smtplib.SMTPException):
    """The relay accepted the connection but refused the recipient."""


class SmtpSender:
    """``smtp://user:pass@host:25`` or ``smtps://...:465``; ``?starttls=1`` upgrades plain SMTP."""

    def __init__(self, url: str, timeout: float = 20) -> None:
        self.url, self.timeout = urlparse(url), timeout

    def send(self, message: EmailMessage) -> None:
        u = self.url
        cls = smtplib.SMTP_SSL if u.scheme == "smtps" else smtplib.SMTP
        with cls(
            u.hostname or "localhost", u.port or (465 if u.scheme == "smtps" else 25), timeout=self.timeout
        ) as smtp:
            if "starttls=1" in (u.query or ""):
                smtp.starttls()
            if u.username:
                smtp.login(unquote(u.username), unquote(u.password or ""))
            refused = smtp.send_message(message)
        if refused:  # some recipients refused (all refused raises SMTPRecipientsRefused itself)
            raise SmtpRefused(f"recipients refused: {refused}")


def sender_from_config(config) -> Sender:
    if config.get("SMTP_URL"):
        return SmtpSender(config["SMTP_URL"])
    return MaildirSender(config["MAILDIR"])
