"""Set-password links: issued for an invitation or a reset, stored hashed, used once.

A link's token is 256 random bits, so a plain SHA-256 is the right hash (as for API
tokens, :mod:`casemgr.auth.tokens`) and finds its row with one indexed lookup. Issuing a
link retires the user's earlier unused ones: only the newest e-mail works."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from casemgr.accounts.models import AccountLink
from casemgr.accounts.rules import INVITE_VALID_FOR, RESET_VALID_FOR, link_state
from casemgr.auth.models import User
from casemgr.notifications.links import link

#: The page a link opens (casemgr.accounts.views serves it).
SET_PASSWORD_PATH = "/account/password/"
#: Tokens are URL-safe base64 of 32 bytes (43 characters); anything else is not ours.
_TOKEN_LENGTH = 43


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password_url(token: str) -> str:
    return link(SET_PASSWORD_PATH + token)


def issue_link(session: Session, user: User, purpose: str, now: datetime, created_by: User | None) -> str:
    """A new link for ``user`` (the caller commits); returns its token, shown only in the e-mail."""
    retire_links(session, user, now)
    token = secrets.token_urlsafe(32)
    valid_for = INVITE_VALID_FOR if purpose == "invite" else RESET_VALID_FOR
    session.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + valid_for,
            created_by_id=created_by.id if created_by is not None else None,
        )
    )
    return token


def retire_links(session: Session, user: User, now: datetime) -> None:
    """Every unused link of ``user`` stops working (a newer one, deactivation)."""
    session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class LinkCheck:
    """What a link is worth now: ``state`` is valid, used, expired or unknown."""

    state: str
    link: AccountLink | None = None

    @property
    def user(self) -> User | None:
        return self.link.user if self.link is not None else None


def check_link(session: Session, token: str, now: datetime) -> LinkCheck:
    if len(token) != _TOKEN_LENGTH:
        return LinkCheck("unknown")
    row = session.scalar(select(AccountLink).where(AccountLink.token_hash == _digest(token)))
    if row is None:
        return LinkCheck("unknown")
    state = link_state(expires_at=row.expires_at, used_at=row.used_at, now=now)
    if state == "valid" and not row.user.is_active:
        state = "used"  # deactivated since: the link is void
    return LinkCheck(state, row)


def consume(session: Session, row: AccountLink, now: datetime) -> bool:
    """Mark the link used; False when another request used it first (single use, even at once)."""
    result = session.execute(
        update(AccountLink)
        .where(AccountLink.id == row.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1
