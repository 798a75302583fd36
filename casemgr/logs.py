"""Logging: one line per event on standard error, each saying which request, which
user and which organisation it belongs to.

Every record gets ``request_id`` (the caller's ``X-Request-ID`` when it is a plain
token, else a new one; sent back in the response), ``actor`` (the logged-in user's
e-mail, or the API token's user) and ``org`` (their organisation's id), ``-``
outside a request (the scheduler, the CLI). Each request is logged once when it ends:
method, path, endpoint, status, milliseconds.

Two formats, one configuration for ``casemgr serve``, gunicorn (its config uses
:func:`formatter` and :class:`RequestContext` too) and ``casemgr scheduler``: one JSON
object per line (python-json-logger; the record's extra fields become keys, an
exception its ``exc_info`` traceback) when standard error is not a terminal or
``CASEMGR_LOG_FORMAT=json``; the text line below on a terminal or with ``text``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(actor)s org=%(org)s] %(message)s"
#: The keys every JSON line starts with (then the record's extras; ``timestamp`` is UTC ISO 8601).
JSON_FIELDS = ("levelname", "name", "message", "request_id", "actor", "org")
FORMATS = ("auto", "json", "text")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

log = logging.getLogger("casemgr.request")


def _who() -> tuple[str, str]:
    user = g.get("api_user")
    if user is None:
        from flask_login import current_user

        user = current_user if current_user and current_user.is_authenticated else None
    if user is None:
        return "-", "-"
    return user.email, str(user.organization_id)


class RequestContext(logging.Filter):
    """Adds request_id, actor and org to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            try:
                record.actor, record.org = _who()
            except Exception:  # noqa: BLE001 - a log line must never fail the request
                record.actor, record.org = "-", "-"
        else:
            record.request_id, record.actor, record.org = "-", "-", "-"
        return True


def wants_json(log_format: str = "auto", stream=None) -> bool:
    """``json``, ``text``, or ``auto``: JSON unless the stream (standard error) is a terminal."""
    if log_format not in FORMATS:
        raise ValueError(f"CASEMGR_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    if log_format != "auto":
        return log_format == "json"
    stream = sys.stderr if stream is None else stream
    return not (hasattr(stream, "isatty") and stream.isatty())


def formatter(log_format: str | None = None, stream=None) -> logging.Formatter:
    """The formatter of every handler (``log_format`` None: ``CASEMGR_LOG_FORMAT``, read now)."""
    if wants_json(log_format or os.environ.get("CASEMGR_LOG_FORMAT", "auto"), stream):
        return JsonFormatter(
            list(JSON_FIELDS),
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    return logging.Formatter(FORMAT)


def configure_logging(level: str = "INFO", log_format: str = "auto", stream=None) -> None:
    """The process's log handler (CLI, serve, scheduler, gunicorn workers); once per process."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own line per pass says what it did
    root = logging.getLogger()
    if any(isinstance(f, RequestContext) for h in root.handlers for f in h.filters):
        return  # already configured (a second app, or gunicorn's logconfig_dict)
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContext())
    handler.setFormatter(formatter(log_format, stream))
    root.addHandler(handler)
    root.setLevel(level.upper())


def init_request_logging(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
            log.info(
                "%s %s %s %.0f ms",
                request.method,
                request.path,
                response.status_code,
                elapsed,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "endpoint": request.endpoint,
                    "status": response.status_code,
                    "duration_ms": round(elapsed, 1),
                },
            )
        return response
