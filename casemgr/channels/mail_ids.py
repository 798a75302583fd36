"""Mail threading identifiers: pure functions, shared by outbound and inbound mail.

Every mail Casemgr sends about a case carries identifiers that name the case and
are signed with the app's mail secret: its ``Message-ID``, the ``References`` root
of the case's thread, and a plus-addressed reply address
(``support+cs-000123.k3j9...@example.com``). A reply then finds its case from the
``In-Reply-To``/``References`` it carries, or from the address it was sent to,
without a lookup and without trusting the subject: a forged identifier fails the
signature, and the reply address is proof that the sender received mail about that
case (it is how a reply is authenticated when DMARC cannot be checked).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email.utils import getaddresses

#: A case number as identifiers spell it (casemgr.cases.rules.format_case_number).
_CASE = r"CS-\d{6,}"
_SIG_LENGTH = 16
_SIGNED_ID = re.compile(rf"<(?:[^<>@\s]+\.)?({_CASE})\.([a-z2-7]{{{_SIG_LENGTH}}})@[^<>\s]+>", re.IGNORECASE)


def mail_secret(secret_key: str) -> bytes:
    """The key the identifiers are signed with, derived from the app's SECRET_KEY."""
    return hmac.new(secret_key.encode(), b"casemgr mail threading v1", hashlib.sha256).digest()


def signature(secret: bytes, case_number: str) -> str:
    """16 base32 characters (80 bits) of HMAC-SHA256 over the case number; lower case,
    so that mail systems that fold the case of addresses do not break it."""
    digest = hmac.new(secret, case_number.upper().encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:_SIG_LENGTH]


def _valid(secret: bytes, case_number: str, sig: str) -> bool:
    return hmac.compare_digest(signature(secret, case_number), sig.lower())


def thread_root_id(secret: bytes, case_number: str, domain: str) -> str:
    """The id every mail of the case refers to (``References``), as if it began the thread."""
    return f"<{case_number.upper()}.{signature(secret, case_number)}@{domain}>"


def message_id(secret: bytes, unique: str, domain: str, case_number: str | None = None) -> str:
    """A ``Message-ID``: ``unique`` (e.g. the outbox row's id and a random part) and,
    for mail about a case, the signed case number."""
    if case_number is None:
        return f"<{unique}@{domain}>"
    return f"<{unique}.{case_number.upper()}.{signature(secret, case_number)}@{domain}>"


def case_in_message_ids(secret: bytes, *headers: str | None) -> str | None:
    """The case named by a correctly signed id in ``In-Reply-To``/``References`` values
    (the last one first: the message being answered), else None."""
    ids = [m for header in headers if header for m in _SIGNED_ID.finditer(header)]
    for match in reversed(ids):
        number, sig = match.group(1).upper(), match.group(2)
        if _valid(secret, number, sig):
            return number
    return None


def reply_address(secret: bytes, reply_to: str, case_number: str) -> str:
    """``support@example.com`` -> ``support+cs-000123.<signature>@example.com``."""
    local, _, domain = reply_to.rpartition("@")
    return f"{local}+{case_number.lower()}.{signature(secret, case_number)}@{domain}"


def case_in_reply_address(secret: bytes, reply_to: str, *headers: str | None) -> str | None:
    """The case of a signed reply address among the recipients (``To``, ``Cc``,
    ``Delivered-To`` ... values), for the configured ``reply_to`` mailbox; else None."""
    local, _, domain = reply_to.lower().rpartition("@")
    pattern = re.compile(
        rf"{re.escape(local)}\+({_CASE})\.([a-z2-7]{{{_SIG_LENGTH}}})@{re.escape(domain)}", re.IGNORECASE
    )
    for _name, address in getaddresses([h for h in headers if h]):
        match = pattern.fullmatch(address.strip())
        if match and _valid(secret, match.group(1).upper(), match.group(2)):
            return match.group(1).upper()
    return None
