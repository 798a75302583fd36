"""E-mail transports: SMTP from ``SMTP_URL``, or a local Maildir without one."""

from __future__ import annotations

import mailbox
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse


class Sender(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> None: ...


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Auto-Submitted"] = "auto-generated"  # so auto-responders never reply (no loops)
    msg.set_content(body)
    return msg


class MaildirSender:
    """Writes each message into a Maildir (``instance/mail`` by default) for inspection."""

    def __init__(self, path: str | Path, sender: str) -> None:
        self.path, self.sender = Path(path), sender

    def send(self, *, to: str, subject: str, body: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self.path, create=True)
        try:
            box.add(_message(self.sender, to, subject, body))
        finally:
            box.close()


class SmtpSender:
    """``smtp://user:pass@host:25`` or ``smtps://...:465``; ``?starttls=1`` upgrades plain SMTP."""

    def __init__(self, url: str, sender: str, timeout: float = 20) -> None:
        self.url, self.sender, self.timeout = urlparse(url), sender, timeout

    def send(self, *, to: str, subject: str, body: str) -> None:
        u = self.url
        cls = smtplib.SMTP_SSL if u.scheme == "smtps" else smtplib.SMTP
        with cls(
            u.hostname or "localhost", u.port or (465 if u.scheme == "smtps" else 25), timeout=self.timeout
        ) as smtp:
            if "starttls=1" in (u.query or ""):
                smtp.starttls()
            if u.username:
                smtp.login(unquote(u.username), unquote(u.password or ""))
            smtp.send_message(_message(self.sender, to, subject, body))


def sender_from_config(config) -> Sender:
    if config.get("SMTP_URL"):
        return SmtpSender(config["SMTP_URL"], config["MAIL_FROM"])
    return MaildirSender(config["MAILDIR"], config["MAIL_FROM"])
