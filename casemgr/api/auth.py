"""Bearer-token authentication for every API route (no cookies, so no CSRF)."""

from __future__ import annotations

from flask import g, request

from casemgr.api.errors import ApiError
from casemgr.auth.models import User
from casemgr.auth.tokens import find_token, record_use
from casemgr.db import database, get_session
from casemgr.web import now


def require_token() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Send a personal access token: Authorization: Bearer <token>.")
    session = get_session()
    db = database()
    if (
        db.write_session_factory is not None
        and db.session_factory is not None
        and session.get_bind() is db.write_session_factory.kw["bind"]
        and session.get_bind() is not db.engine
    ):
        # SQLite write request: its session takes the database write lock at its first
        # statement (BEGIN IMMEDIATE). The token is read outside that lock, from a WAL
        # snapshot, so that concurrent writers queue only for the service's own work.
        with db.session_factory() as reader:
            found = find_token(reader, token.strip())
        user = session.merge(found.user, load=False) if found is not None else None
    else:
        found = find_token(session, token.strip())
        user = found.user if found is not None else None
    if found is None or user is None:
        raise ApiError(401, "The token is unknown, revoked, or its user is inactive.")
    record_use(session, found, now())
    g.api_user = user


def api_user() -> User:
    return g.api_user
