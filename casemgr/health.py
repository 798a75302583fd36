"""Liveness and readiness for load balancers and orchestrators (no login, no data).

``GET /healthz``: the process answers (nothing else is checked: a database outage
must not get every worker restarted). ``GET /readyz``: this worker can serve -- the
database answers and its schema is the one this code expects (after a deploy, the
migrations have run); otherwise 503 with ``Retry-After``, so traffic goes elsewhere.
"""

from __future__ import annotations

from functools import cache

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

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
    try:
        with registry_of().db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except SQLAlchemyError:
                current = set()  # no schema at all yet
    except SQLAlchemyError:
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code, response.headers["Retry-After"] = 503, "5"
        return response
    if current != expected_revisions():
        response = jsonify(status="unavailable", database="ok", schema="not at the expected revision: run casemgr init")
        response.status_code, response.headers["Retry-After"] = 503, "30"
        return response
    return jsonify(status="ready", database="ok", schema=",".join(sorted(current)))
