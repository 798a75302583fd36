"""Liveness and readiness: no login, no data, and a database outage or an old schema
makes a worker not ready (503) rather than dead."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from casemgr.registry import registry_of
from tests.web.test_database_unavailable import unreachable_app  # noqa: F401 - the fixture


def test_a_ready_worker_says_so_without_login(app):
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


@pytest.mark.commits  # the schema version is changed from another connection
def test_a_schema_behind_the_code_is_not_ready(app, db_url):
    engine = registry_of(app).db.engine
    with engine.begin() as conn:
        (revision,) = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503 and "casemgr init" in response.get_json()["schema"]
        assert response.headers["Retry-After"] == "30"
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_an_unreachable_database_is_not_ready_but_the_process_is_alive(unreachable_app):  # noqa: F811
    client = unreachable_app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"
    assert response.headers["Retry-After"] == "5"


def test_an_attachment_folder_that_cannot_be_written_makes_the_worker_not_ready(app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the attachment folder should be")
    app.config["ATTACHMENT_DIR"] = str(blocker / "attachments")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["database"] == "ok" and body["attachments"].startswith(
        "unwritable: the attachment folder is not writable"
    )
