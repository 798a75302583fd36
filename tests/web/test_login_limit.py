"""The login form's rate limit: the one limit Casemgr sets, enforced by its decorator alone."""

from __future__ import annotations

import re
import uuid

import pytest

from casemgr import create_app
from casemgr.extensions import limiter
from casemgr.registry import registry_of
from tests.factories import PASSWORD

ACME = "admin@acme.example.com"


def _limited_app(db_url, clock, tmp_path, **limits):
    return create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "limited"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-only-" + "x" * 20,
            "CLOCK": clock,
            "TESTING": True,
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "3 per minute",
            **limits,
        }
    )


def _token(client) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)


@pytest.fixture
def own_apps():
    """Apps of this module's own, with the limiter on. The limiter is one per process
    (casemgr.extensions): it goes back as it was for the apps the other tests share."""
    enabled_before, made = limiter.enabled, []

    def make(db_url, clock, tmp_path, **limits):
        made.append(_limited_app(db_url, clock, tmp_path, **limits))
        return made[-1]

    yield make
    for app in made:
        registry_of(app).db.dispose()
    limiter.reset()
    limiter.enabled = enabled_before


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
        assert 0 < int(attempts[-1].headers["Retry-After"]) <= 60  # says when to try again
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


@pytest.mark.commits  # an app of its own, which must see the world committed
def test_one_account_is_limited_across_client_addresses_and_others_are_not(world, db_url, clock, tmp_path, own_apps):
    """Guessing one account's password from many addresses meets the per-account limit;
    people behind one proxy logging in to their own accounts do not share it."""
    app = own_apps(
        db_url, clock, tmp_path, LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per 15 minutes"
    )
    statuses = []
    for n in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        data = {"email": f"  {ACME.upper()} ", "password": "wrong", "csrf_token": _token(client)}
        statuses.append(client.post("/login", data=data).status_code)
    assert statuses == [400, 400, 400, 429]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    data = {"email": "admin@globex.example.com", "password": PASSWORD, "csrf_token": _token(other)}
    assert other.post("/login", data=data).status_code == 302


def test_security_headers_forbid_framing_base_and_foreign_form_targets(app, world):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"):
        assert directive in csp
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: nothing to pin


@pytest.mark.commits  # an app of its own
def test_hsts_is_sent_when_cookies_are_secure(world, db_url, clock, tmp_path, own_apps):
    app = own_apps(db_url, clock, tmp_path, SESSION_COOKIE_SECURE=True)
    hsts = app.test_client().get("/login", base_url="https://casemgr.example.com").headers
    assert hsts["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.commits  # apps of their own
def test_with_redis_storage_the_login_limit_counts_in_redis(world, db_url, clock, tmp_path, own_apps):
    """The production setting (CASEMGR_RATELIMIT_STORAGE=redis://...) starts, and the
    attempts are counted in Redis, where every worker reads the same count."""
    import redis

    server = redis.Redis(host="127.0.0.1", port=6379)
    email = f"nobody-{uuid.uuid4().hex}@acme.example.com"  # an account key no other run uses
    app = own_apps(db_url, clock, tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379")
    statuses = []
    for _ in range(4):
        client = app.test_client()
        data = {"email": email, "password": "wrong", "csrf_token": _token(client)}
        statuses.append(client.post("/login", data=data).status_code)
    assert statuses == [400, 400, 400, 429]
    keys = server.keys(f"*login-account:{email}*")
    assert keys, "the attempts were not counted in Redis"
    server.delete(*keys)


@pytest.mark.commits  # an app of its own, which must see the world committed
def test_each_api_token_has_its_own_limit_over_every_route(world, session, db_url, clock, tmp_path, own_apps):
    """Per-token API limits: one busy integration meets its limit (429, JSON, Retry-After)
    over all routes together; another token, and the pages, do not."""
    from casemgr.auth.tokens import create_token

    app = own_apps(db_url, clock, tmp_path, API_RATE_LIMIT="3 per minute")
    busy = create_token(session, world.user("acme_admin"), "busy", clock.now())[1]
    calm = create_token(session, world.user("acme_user"), "calm", clock.now())[1]
    session.commit()
    client = app.test_client()

    def call(token, url):
        return client.get(url, headers={"Authorization": f"Bearer {token}"})

    statuses = [call(busy, url).status_code for url in ("/api/v1/cases", "/api/v1/assets", "/api/v1/cases")]
    assert statuses == [200, 200, 200]
    refused = call(busy, "/api/v1/assets")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert call(calm, "/api/v1/cases").status_code == 200  # another token counts apart
    assert client.get("/healthz").status_code == 200  # pages and probes are not API calls
