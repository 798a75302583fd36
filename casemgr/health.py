"""Liveness and readiness for load balancers and orchestrators (no login, no data).

``GET /healthz``: the process answers (nothing else is checked: a database outage
must not get every worker restarted). ``GET /readyz``: this worker can serve -- the
database answers and its schema is the one this code expects (after a deploy, the
migrations have run), and the attachment store (folder or bucket) takes a small
write; otherwise 503 with ``Retry-After`` and the failed check, so traffic goes elsewhere.
"""

from __future__ import annotations

from functools import cache

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casemgr.cases.attachments import StoreUnavailable, attachment_store
from casemgr.registry import registry_of

bp = Blueprint("health", __name__)


@cache
def expected_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    from casemgr.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when the database answers with the expected schema and the attachment store
    takes a write; otherwise 503 naming the check that failed."""
    answer, retry_after = _database_check()
    attachments = _attachments_check()
    if attachments != "ok":
        answer["status"] = "unavailable"
        retry_after = retry_after or "5"
    answer["attachments"] = attachments
    response = jsonify(answer)
    if retry_after:
        response.status_code, response.headers["Retry-After"] = 503, retry_after
    return response


def _database_check() -> tuple[dict[str, str], str | None]:
    try:
        with registry_of().db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except SQLAlchemyError:
                current = set()  # no schema at all yet
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable"}, "5"
    if current != expected_revisions():
        return {
            "status": "unavailable",
            "database": "ok",
            "schema": "not at the expected revision: run casemgr init",
        }, "30"
    return {"status": "ready", "database": "ok", "schema": ",".join(sorted(current))}, None


def _attachments_check() -> str:
    """ "ok", or why the store (folder or bucket) refused a small probe write."""
    try:
        attachment_store(current_app.config).probe()
    except StoreUnavailable as exc:
        current_app.logger.warning("readiness: attachment store failed its probe: %s", exc)
        return f"unwritable: {exc}"
    return "ok"
