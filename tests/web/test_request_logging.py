"""Log lines say which request, which user and which organisation they belong to."""

from __future__ import annotations

import logging

import pytest

from casemgr.logs import FORMAT, RequestContext


@pytest.fixture
def records():
    """What a production handler receives: the real filter on a handler of the root logger."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Keep(level=logging.INFO)
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield seen
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_each_request_is_logged_with_its_id_user_and_organisation(api, world, records):
    response = api("acme_admin").client.get(
        "/api/v1/cases", headers={**api("acme_admin").headers, "X-Request-ID": "lb-1234"}
    )
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "lb-1234"
    line = next(r for r in records if r.name == "casemgr.request" and "/api/v1/cases" in r.getMessage())
    assert line.request_id == "lb-1234" and line.actor == "admin@acme.example.com"
    assert line.org == str(world.acme.id) and "GET /api/v1/cases 200" in line.getMessage()
    assert "lb-1234 admin@acme.example.com org=" in logging.Formatter(FORMAT).format(line)


def test_a_request_id_that_is_not_a_plain_token_is_replaced(app, records):
    for hostile in ("evil id; with spaces <script>", "a" * 65):
        response = app.test_client().get("/healthz", headers={"X-Request-ID": hostile})
        given = response.headers["X-Request-ID"]
        assert given != hostile and len(given) == 32 and given.isalnum()
    line = [r for r in records if r.name == "casemgr.request"][-1]
    assert line.request_id == given and line.actor == "-"


def test_records_outside_a_request_carry_dashes(records):
    logging.getLogger("escalation.scheduler").info("escalation pass")
    assert (records[-1].request_id, records[-1].actor, records[-1].org) == ("-", "-", "-")
