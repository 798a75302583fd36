"""The password-reset form is rate limited like the login form, and needs its CSRF token."""

from __future__ import annotations

import re

import pytest

from casemgr import create_app
from casemgr.extensions import limiter
from casemgr.registry import registry_of


def _token(client, url: str = "/account/forgot") -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


@pytest.fixture
def limited_app(db_url, clock, tmp_path):
    """An app of its own with the limiter on; the limiter (one per process) goes back as it was."""
    enabled_before = limiter.enabled
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "limited"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-only-" + "x" * 20,
            "CLOCK": clock,
            "TESTING": True,
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "100 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "3 per 15 minutes",
        }
    )
    yield app
    registry_of(app).db.dispose()
    limiter.reset()
    limiter.enabled = enabled_before


@pytest.mark.commits  # an app of its own, which must see the world committed
def test_resets_for_one_address_are_limited_across_client_addresses(world, limited_app):
    statuses = []
    for n in range(4):
        client = limited_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        data = {"email": " USER@acme.example.com", "csrf_token": _token(client)}
        statuses.append(client.post("/account/forgot", data=data).status_code)
    assert statuses == [200, 200, 200, 429]
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    data = {"email": "admin@globex.example.com", "csrf_token": _token(other)}
    assert other.post("/account/forgot", data=data).status_code == 200


def test_the_reset_and_set_password_forms_refuse_a_post_without_csrf(app, world):
    client = app.test_client()
    assert client.post("/account/forgot", data={"email": "user@acme.example.com"}).status_code == 400
    assert client.post("/account/password/" + "x" * 43, data={"password": "a", "confirm": "a"}).status_code == 400
