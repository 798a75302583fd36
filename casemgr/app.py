"""The application factory: it reads configuration and wires things, nothing more."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template
from werkzeug.exceptions import HTTPException

from casemgr.clock import Clock, SystemClock
from casemgr.config import load_config
from casemgr.db import Database, close_request_session
from casemgr.extensions import csrf, limiter, login_manager
from casemgr.logs import configure_logging, init_request_logging
from casemgr.metrics import init_metrics
from casemgr.outage import database_unavailable, unavailable_response
from casemgr.registry import KEY, Registry

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    overrides = dict(config_overrides or {})
    instance = overrides.pop("INSTANCE_PATH", None) or os.environ.get("CASEMGR_INSTANCE")
    app = Flask(
        "casemgr",
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
        template_folder=str(REPO_TEMPLATES),
        static_folder=str(REPO_TEMPLATES / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(overrides)
    from casemgr.web import IdConverter

    app.url_map.converters["id"] = IdConverter  # before any blueprint registers a route
    clock: Clock = app.config.get("CLOCK") or SystemClock()
    registry = Registry(
        clock=clock, db=Database(app.config["DATABASE_URL"], pre_ping=app.config.get("DB_PRE_PING", False))
    )
    app.extensions[KEY] = registry  # Flask's place for an extension's state: read with registry_of(app)
    app.teardown_appcontext(close_request_session)
    if not app.testing:  # tests read log records through pytest's caplog
        configure_logging(app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FORMAT", "auto"))
    init_request_logging(app)
    init_metrics(app, registry)  # its request timer starts before any other hook can answer
    _listen_core_sessions(registry)

    csrf.init_app(app)
    limiter.init_app(app)  # no default or application limits: only the decorated views (login) are limited
    login_manager.init_app(app)

    from casemgr.api import init_api, plug_in
    from casemgr.web import register_web

    register_web(app)
    api = registry.api = init_api(app)
    from casemgr.channels.webhooks import EVENT_TYPES, enqueue, tick_job

    for event_type in EVENT_TYPES:  # outbound webhooks follow the core's own case events
        registry.events.subscribe(event_type, enqueue)
    registry.tick_jobs.append(tick_job)
    from casemgr.assets.import_jobs import interrupted_imports_tick
    from casemgr.cases.commitments import missed_commitments_tick
    from casemgr.notifications.digest import digest_tick

    registry.tick_jobs += [missed_commitments_tick, digest_tick]  # missed promises told; daily digests
    registry.tick_jobs.append(interrupted_imports_tick)  # imports cut off by a server stop say so
    _register_error_pages(app)
    _refuse_unstorable_text(app)

    from casemgr.cli import register_cli

    register_cli(app)

    # The optional areas add what they bring to the registry; the core reads it from there.
    import escalation
    import reports
    import rma

    for area in (escalation, reports, rma):
        area.init_app(app, registry)
    for blueprint in registry.api_blueprints:
        plug_in(app, api, blueprint)
    return app


def _listen_core_sessions(registry: Registry) -> None:
    """The core's rules on every session of this app: audit trails stay append-only,
    each case's stored next deadline follows its clocks, and rows queued for the commit are written with it."""
    from casemgr import bulk
    from casemgr.accounts.models import account_events_are_append_only
    from casemgr.cases.models import timeline_is_append_only
    from casemgr.queue.deadlines import keep_deadlines_current
    from casemgr.safety.models import audit_is_append_only

    registry.listen_sessions("before_flush", timeline_is_append_only)
    registry.listen_sessions("before_flush", keep_deadlines_current)  # the queue's next deadline
    registry.listen_sessions("before_flush", audit_is_append_only)
    registry.listen_sessions("before_flush", account_events_are_append_only)
    registry.listen_sessions("before_commit", bulk.write_queued)
    registry.listen_sessions("after_transaction_end", bulk.drop_queued)


#: Text no database column can store: NUL (PostgreSQL refuses it in any string) and lone
#: UTF-16 surrogates (not Unicode scalar values: no UTF-8 encoder writes them, SQLite's and
#: psycopg's included). JSON can spell both (``\u0000``, ``\ud800``); form posts and query
#: strings can carry NUL (their invalid UTF-8 never decodes to a surrogate).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> str | None:
    """What in ``text`` cannot be stored, in words (None: nothing)."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character (\\u0000), which no field accepts"
    return (
        f"a lone UTF-16 surrogate (\\u{ord(found.group()):04x}), which is not a Unicode character and cannot be"
        " stored (a surrogate pair must be complete)"
    )


def _shown(name: str) -> str:
    """A field name as a message can show it: escaped if it holds what it is refused for."""
    return json.dumps(name)[1:-1] if _UNSTORABLE.search(name) else name


def _first_unstorable_json(value: object, where: str) -> tuple[str, str] | None:
    """(field path, what) of the first string of a JSON document that cannot be stored."""
    if isinstance(value, str):
        what = _unstorable(value)
        return (where, what) if what else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{_shown(key)}" if where else _shown(key)
            if what := _unstorable(key):
                return path, f"{what} (in the field's name)"
            if found := _first_unstorable_json(item, path):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := _first_unstorable_json(item, f"{where}[{index}]"):
                return found
    return None


def _checks_nul_itself(app: Flask, endpoint: str | None) -> bool:
    """A view (or MethodView class) with ``checks_nul_itself = True`` validates NUL
    characters in its own query string, and answers them as its other bad input (the
    search API: 422). Its path, body and credentials are checked here all the same."""
    view = app.view_functions.get(endpoint or "")
    return bool(
        getattr(view, "checks_nul_itself", False)
        or getattr(getattr(view, "view_class", None), "checks_nul_itself", False)
    )


def _first_unstorable_in_request(app: Flask) -> tuple[str, str, str] | None:
    """(field, how the message names it, what) of the first text of the request that
    cannot be stored: path, query, form fields and file names, JSON body, credentials."""
    from flask import request

    if what := _unstorable(request.path):
        return "path", "The address (URL path)", what
    if not _checks_nul_itself(app, request.endpoint):
        for key, values in request.args.lists():
            for text in (key, *values):
                if what := _unstorable(text):
                    return _shown(key), f"The query parameter {_shown(key)!r}", what
    for key, values in request.form.lists():
        for text in (key, *values):
            if what := _unstorable(text):
                return _shown(key), f"The form field {_shown(key)!r}", what
    for key, upload in request.files.items(multi=True):
        if what := _unstorable(upload.filename or ""):
            return _shown(key), f"The name of the file sent as {_shown(key)!r}", what
    if request.is_json and (found := _first_unstorable_json(request.get_json(silent=True), "")):
        field, what = found
        return (field, f"The field {field!r}", what) if field else ("body", "The request body", what)
    if what := _unstorable(request.headers.get("Authorization") or ""):
        return "Authorization", "The Authorization header", what
    return None


def _refuse_unstorable_text(app: Flask) -> None:
    """Text no database can store (NUL, lone surrogates) is never meaningful input: a request
    carrying it anywhere (path, query, form, file name, JSON body, credentials) is answered
    400 before anything reads or writes the database, naming the field, with the API's
    error shape (``details``: the field and why) under /api/. One check for every endpoint."""
    from flask import request

    from casemgr.api.errors import error_response

    @app.before_request
    def refuse_unstorable():
        found = _first_unstorable_in_request(app)
        if found is None:
            return None
        field, named, what = found
        message = f"{named} contains {what}. Remove it and try again."
        if request.path.startswith("/api/"):
            return error_response(400, message, code="validation_error", details={field: [f"Contains {what}."]})
        return render_template("errors/error.html", code=400, title="Bad request", message=message), 400


def _with_own_headers(response: Response, error: HTTPException) -> Response:
    """Keep the headers the HTTP error carries besides its body's type: a 405 says which
    methods the URL allows (``Allow``, RFC 9110), a 401 how to authenticate."""
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


PAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your role cannot do that."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "That page does not accept this kind of request."),
    413: ("Upload too large", "Uploads are limited to {limit} MB in total per request."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a minute and try again."),
}


def _register_error_pages(app: Flask) -> None:
    """HTML pages for people, the API's JSON error shape under /api/."""
    from flask import request
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import InternalServerError

    from casemgr.api.errors import domain_error_response, error_response
    from casemgr.errors import DomainError
    from casemgr.web import rollback_request_session

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        """Any refusal no form re-rendered: the API's error shape, or the error page, with the
        error's own status (casemgr.errors); the request's writes are rolled back first."""
        rollback_request_session()
        if wants_json():
            return domain_error_response(e)
        title, message = PAGES.get(e.status, ("Not done", e.message))
        return render_template("errors/error.html", code=e.status, title=title, message=message), e.status

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return render_template(
            "errors/error.html",
            code=400,
            title="Form expired",
            message=f"{e.description} Go back, reload the page and submit again.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = e.code or 500
        unavailable = database_unavailable(getattr(e, "original_exception", None)) if code == 500 else None
        if unavailable is not None:  # an error handler met the outage too (Flask's last resort)
            app.logger.warning("database unavailable on %s %s; answered 503", request.method, request.path)
            return unavailable_response(app, *unavailable, json=wants_json())
        if wants_json():
            data = getattr(e, "data", None) or {}
            details = data.get("messages") or data.get("errors")
            message = "The request does not match the schema; see details." if details else (e.description or e.name)
            return _with_own_headers(error_response(code, message, details=details), e)
        title, message = PAGES.get(code, (e.name, e.description or ""))
        page = render_template(
            "errors/error.html", code=code, title=title, message=message.format(limit=app.config["MAX_UPLOAD_MB"])
        )
        return _with_own_headers(app.make_response((page, code)), e)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        if isinstance(e, HTTPException):
            return http_error(e)
        try:
            rollback_request_session()  # nothing of a failed request is kept, and the page can still read
        except Exception:  # noqa: BLE001 - the answer below matters more; the session is closed at teardown
            app.logger.warning("rollback after a failed request failed too", exc_info=True)
        unavailable = database_unavailable(e)
        if unavailable is not None:
            app.logger.warning("database unavailable on %s %s (%s); answered 503", request.method, request.path, e)
            return unavailable_response(app, *unavailable, json=wants_json())
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "Internal error; it has been logged.")
        return render_template(
            "errors/error.html",
            code=500,
            title="Something went wrong",
            message="The error has been logged. Please try again.",
        ), InternalServerError.code
