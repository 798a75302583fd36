"""Bearer-token authentication for every API route (no cookies, so no CSRF)."""
from __future__ import annotations

from flask import g, request

from casemgr.api.errors import ApiError
from casemgr.auth.models import User
from casemgr.auth.tokens import user_for_token
from casemgr.db import get_session
from casemgr.web import now


def require_token() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Send a personal access token: Authorization: Bearer <token>.")
    user = user_for_token(get_session(), token.strip(), now())
    if user is None:
        raise ApiError(401, "The token is unknown, revoked, or its user is inactive.")
    g.api_user = user


def api_user() -> User:
    return g.api_user
