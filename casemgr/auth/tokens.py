"""Personal access tokens for the REST API: shown once, stored hashed, revocable.

A token carries exactly its user's permissions. It is 256 random bits, so a
plain SHA-256 is the right hash (no salt or stretching needed, unlike passwords)
and lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from casemgr.auth.models import ApiToken, User
from casemgr.db import EntityColumns

PREFIX = "cm_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Return the record and the token text, which is never shown again."""
    name = (name or "").strip()[:100] or "API token"
    text = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(text), hint=text[:10], created_at=now)
    session.add(token)
    session.commit()
    return token, text


@cache
def _lookup() -> tuple[Any, EntityColumns, EntityColumns]:
    """The token-and-user query, in Core (built on first use: the mappers must be configured)."""
    token, user = EntityColumns(ApiToken, "t_"), EntityColumns(User, "u_")
    tokens, users = ApiToken.__table__, User.__table__
    stmt = (
        select(*token.columns, *user.columns)
        .join_from(tokens, users, users.c.id == tokens.c.user_id)
        .where(tokens.c.token_hash == bindparam("digest"))
    )
    return stmt, token, user


def find_token(session: Session, text: str) -> ApiToken | None:
    """The live token for ``text`` with its user (one query), or None if unknown, revoked or inactive."""
    if not text.startswith(PREFIX) or len(text) > 200:
        return None
    # One Core query on every API call; the token and its user come back as loaded objects.
    stmt, token_columns, user_columns = _lookup()
    row = session.connection().execute(stmt, {"digest": _digest(text)}).first()
    if row is None:
        return None
    token, user = token_columns.load(session, row), user_columns.load(session, row)
    set_committed_value(token, "user", user)
    if token.revoked_at is not None or not user.is_active:
        return None
    return token


def record_use(session: Session, token: ApiToken, now: datetime) -> None:
    """Note the use at most once a minute (no write on every call); commits only when it writes.

    ``token`` may come from another session: the row is updated by id.
    """
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(token, "last_used_at", now)  # what the row now holds; nothing left to flush
        session.commit()


def user_for_token(session: Session, text: str, now: datetime) -> User | None:
    token = find_token(session, text)
    if token is None:
        return None
    record_use(session, token, now)
    return token.user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke(session: Session, user: User, token_id: int, now: datetime) -> bool:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = now
    session.commit()
    return True
