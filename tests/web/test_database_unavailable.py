"""A database that cannot be reached answers 503 with Retry-After, never 500: the
request can simply be sent again once the database is back (restart, failover)."""

from __future__ import annotations

import socket

import pytest

from casemgr import create_app
from casemgr.clock import FixedClock
from casemgr.registry import registry_of
from tests.conftest import T0


def _closed_port() -> int:
    with socket.socket() as s:  # a port nothing listens on: every connection is refused
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_app(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/casemgr?connect_timeout=2",
            "SECRET_KEY": "test-only-" + "x" * 20,
            "CLOCK": FixedClock(T0),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        }
    )
    yield app
    registry_of(app).db.dispose()


def test_the_api_answers_503_with_retry_after_when_the_database_refuses_connections(unreachable_app):
    response = unreachable_app.test_client().get("/api/v1/cases", headers={"Authorization": "Bearer cm_whatever"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable" and "Nothing was saved" in error["message"]


def test_a_page_answers_503_with_retry_after_too(unreachable_app):
    response = unreachable_app.test_client().post(
        "/login", data={"email": "someone@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "try again in a few seconds" in response.get_data(as_text=True)


def test_a_logged_in_users_page_answers_the_full_503_page_without_reading_the_database(unreachable_app):
    client = unreachable_app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "1:1"  # logged in earlier, before the outage (user id : session generation)
    response = client.get("/cases/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "app.css" in page and "try again in a few seconds" in page  # base.html, not the plain fallback
    assert "Log out" not in page  # the user's menu needs the database
