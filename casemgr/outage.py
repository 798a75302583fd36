"""When the database cannot answer: 503 with Retry-After, never 500, and an answer that is
built without touching the database (the error page of a logged-in user would otherwise
load the user, their organisation and their unread count, and fail again)."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, render_template

log = logging.getLogger(__name__)

#: Shown when even the error page cannot be rendered: no template, no database.
PLAIN_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Please try again · Casemgr</title>"
    "<h1>503 · Please try again</h1><p>{message}</p></html>"
)


def _disconnect_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    try:
        import psycopg
    except ImportError:  # an SQLite-only install
        return OperationalError, InterfaceError, PoolTimeout
    # psycopg's own errors reach us unwrapped from code that uses the driver directly (COPY).
    return OperationalError, InterfaceError, PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError


def database_unavailable(error: BaseException | None) -> tuple[str, str] | None:
    """(Retry-After seconds, message) when ``error`` means the database cannot answer right
    now, else None (a bug stays a 500).

    - a pooled connection the server dropped (restart, failover, crash): SQLAlchemy flags
      ``connection_invalidated`` and discards the pool, so the request sent again goes through;
    - no connection at all: refused, "the database system is starting up / shutting down",
      "terminating connection due to administrator command", pool exhausted, locked;
    - the same, met as the cause of a later error (a session used again after its flush
      failed raises PendingRollbackError, whose context is the outage).
    """
    from sqlalchemy.exc import DBAPIError

    outage = _disconnect_errors()
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return "1", "The connection to the database was reset. Nothing was saved; send the request again."
        if isinstance(error, outage):
            return "5", "The database is not answering right now. Nothing was saved; try again in a few seconds."
        error = error.__cause__ or error.__context__
    return None


def unavailable_response(app: Flask, retry_after: str, message: str, *, json: bool) -> Response:
    """The 503 answer: the API's error shape, or the error page without the user's menu."""
    from casemgr.api.errors import error_response

    g.database_unavailable = True  # read by the context processor and base.html: no query
    if json:
        response = error_response(503, message, code="database_unavailable")
    else:
        try:
            page = render_template("errors/error.html", code=503, title="Please try again", message=message)
        except Exception:  # noqa: BLE001 - the 503 matters more than the page's looks
            log.warning("the 503 page could not be rendered; answered the plain one", exc_info=True)
            page = PLAIN_PAGE.format(message=message)
        response = app.make_response((page, 503))
    response.headers["Retry-After"] = retry_after
    return response
