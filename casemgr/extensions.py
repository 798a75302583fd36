"""Flask extensions, created unbound and wired by the app factory (they keep their
per-app state in the app, as Flask extensions do)."""

import hashlib

from flask import current_app, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def api_caller_key() -> str:
    """Who an API request counts against: its token (hashed: the counter's key is never the
    secret), or its address when it brings none."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if token:
        return "api-token:" + hashlib.sha256(token.encode()).hexdigest()
    return "api-anonymous:" + get_remote_address()


def _not_api() -> bool:
    return not request.path.startswith("/api/")


#: Pages are limited where they need it (login, password reset); every API call counts
#: against its token, across all routes and, with Redis storage, across all hosts.
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    application_limits=[ApplicationLimit(_api_limit, key_function=api_caller_key, exempt_when=_not_api)],
)
