"""The login form's rate limit: the one limit Casemgr sets, enforced by its decorator alone."""

from __future__ import annotations

import re

import pytest

from casemgr import create_app
from casemgr.extensions import limiter
from casemgr.registry import registry_of
from tests.factories import PASSWORD

ACME = "admin@acme.example.com"


def _limited_app(db_url, clock, tmp_path):
    return create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "limited"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-only-" + "x" * 20,
            "CLOCK": clock,
            "TESTING": True,
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "3 per minute",
        }
    )


@pytest.mark.commits  # an app of its own, which must see the world committed
def test_login_posts_beyond_the_limit_get_429_and_other_requests_do_not(world, db_url, clock, tmp_path):
    enabled_before = limiter.enabled
    app = _limited_app(db_url, clock, tmp_path)
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        attempts = [
            client.post("/login", data={"email": ACME, "password": "wrong", "csrf_token": token}) for _ in range(4)
        ]
        assert [r.status_code for r in attempts] == [400, 400, 400, 429]
        assert "Too many attempts" in attempts[-1].get_data(as_text=True)
        # Even the right password waits: the limit counts attempts, not failures.
        right = client.post("/login", data={"email": ACME, "password": PASSWORD, "csrf_token": token})
        assert right.status_code == 429
        # The form itself and the rest of the application are not limited.
        assert client.get("/login").status_code == 200
        for _ in range(5):
            assert client.get("/api/v1/cases").status_code == 401
    finally:
        registry_of(app).db.dispose()
        # The limiter is one per process (casemgr.extensions) and this app switched it on:
        # the apps the other tests share are built with it off, and it goes back as it was.
        limiter.reset()
        limiter.enabled = enabled_before
