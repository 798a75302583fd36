"""Structured logs: one JSON object per line off a terminal (or CASEMGR_LOG_FORMAT=json),
with the request's id, user, organisation, endpoint, method, status and time; an error
with its traceback; each scheduler pass with its counts."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

import pytest

from casemgr.logs import RequestContext, configure_logging, formatter, wants_json
from escalation.defaults import seed_default_ladders
from escalation.scheduler import tick
from tests.factories import create_case


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def json_lines():
    """A production handler (the real filter and JSON formatter) on the root logger;
    returns the lines written so far, each parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContext())
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_json_off_a_terminal_text_on_one_unless_configured():
    assert wants_json("auto", io.StringIO()) and not wants_json("auto", Terminal())
    assert wants_json("json", Terminal()) and not wants_json("text", io.StringIO())
    with pytest.raises(ValueError, match="CASEMGR_LOG_FORMAT must be one of auto, json, text"):
        wants_json("yaml")


def test_configure_logging_writes_json_lines_to_a_pipe(monkeypatch):
    root = logging.getLogger()
    saved = root.handlers[:]
    monkeypatch.setattr(
        root, "handlers", [h for h in saved if not any(isinstance(f, RequestContext) for f in h.filters)]
    )
    monkeypatch.setattr(root, "level", root.level)  # configure_logging sets it: restored after the test
    pipe = io.StringIO()
    configure_logging("INFO", "auto", pipe)
    logging.getLogger("casemgr.test").info("hello %s", "there", extra={"case_number": "CS-000001"})
    line = json.loads(pipe.getvalue().splitlines()[-1])
    assert line["message"] == "hello there" and line["case_number"] == "CS-000001" and line["level"] == "INFO"
    assert (line["logger"], line["request_id"], line["actor"], line["org"]) == ("casemgr.test", "-", "-", "-")


def test_a_request_line_is_one_json_object_with_its_fields(api, world, json_lines):
    client = api("acme_admin")
    response = client.client.get("/api/v1/cases", headers={**client.headers, "X-Request-ID": "lb-77"})
    assert response.status_code == 200
    line = next(line for line in json_lines() if line["logger"] == "casemgr.request" and line["request_id"] == "lb-77")
    assert line["actor"] == "admin@acme.example.com" and line["org"] == str(world.acme.id)
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/cases", 200)
    assert line["endpoint"] == "api_cases.Cases"  # the route's name: never a path with ids in it
    assert isinstance(line["duration_ms"], float) and line["timestamp"].endswith("+00:00")


def test_an_error_is_logged_with_its_traceback_and_request_id(app, json_lines, monkeypatch):
    def broken():
        raise RuntimeError("the widget fell over")

    monkeypatch.setitem(app.view_functions, "health.healthz", broken)
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    error = next(line for line in json_lines() if line["level"] == "ERROR")
    assert error["request_id"] == "boom-1" and error["message"] == "unhandled error on GET /healthz"
    assert "Traceback" in error["exc_info"] and "RuntimeError: the widget fell over" in error["exc_info"]
    request_line = next(line for line in json_lines() if line["logger"] == "casemgr.request")
    assert (request_line["request_id"], request_line["status"]) == ("boom-1", 500)


def test_each_scheduler_pass_logs_its_counts(app, session, world, clock, json_lines):
    seed_default_ladders(session)
    session.commit()
    create_case(session, asset=world.acme_asset, severity=1)
    clock.advance(timedelta(days=2))
    tick(app)
    line = next(line for line in json_lines() if line["logger"] == "escalation.scheduler")
    assert line["message"].startswith("scheduler pass at 2026-11-04T09:00:00+00:00: 1 due case(s)")
    assert line["due_cases"] == 1 and line["fired"] > 0 and line["failed"] == 0 and line["conflicts"] == 0
    assert line["mail_sent"] >= 0 and line["mail_failed"] == 0 and line["duration_ms"] >= 0
    assert f"{line['fired']} step(s) fired" in line["message"]
