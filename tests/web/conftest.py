"""Fixtures for the API tests."""

from __future__ import annotations

import pytest

from casemgr.auth.tokens import create_token
from escalation.defaults import seed_default_ladders


@pytest.fixture
def api(app, session, world, clock):
    """``api(key)`` returns a client whose calls carry that user's token."""
    seed_default_ladders(session)

    class Client:
        def __init__(self, token: str | None):
            self.client, self.headers = app.test_client(), {"Authorization": f"Bearer {token}"} if token else {}

        def get(self, url, **kw):
            return self.client.get(url, headers=self.headers, **kw)

        def post(self, url, json=None, **kw):
            return self.client.post(url, json=json, headers=self.headers, **kw)

        def patch(self, url, json=None, headers=None, **kw):
            return self.client.patch(url, json=json, headers={**self.headers, **(headers or {})}, **kw)

        def delete(self, url, **kw):
            return self.client.delete(url, headers=self.headers, **kw)

    def make(key: str | None):
        return Client(create_token(session, world.user(key), "test", clock.now())[1] if key else None)

    return make
