"""Outbound webhooks: signed deliveries to a real local HTTP server, retried, logged."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from casemgr.channels.models import WebhookDelivery
from casemgr.channels.outbound import parse_networks
from casemgr.channels.webhooks import deliver_due
from casemgr.registry import registry_of
from tests.web.test_api import assert_error, new_case


@pytest.fixture
def receiver(app):
    """A real HTTP endpoint on 127.0.0.1 that records what it receives; status settable.
    The operator allowed loopback for it (CASEMGR_WEBHOOK_ALLOWED_NETWORKS); by default
    webhooks go to public addresses only."""
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    received, state = [], {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body.decode()))
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, state
    server.shutdown()
    server.server_close()
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = ""


LOOPBACK = parse_networks("127.0.0.1/32")


def verify(secret: str, header: str, body: str) -> bool:
    """An independent check, as a customer's receiver would write it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_case_events_are_delivered_signed_and_retried(api, session, clock, receiver):
    url, received, state = receiver
    created = api("acme_admin").post("/api/v1/webhooks", json={"url": url, "events": ["case.opened"]})
    assert created.status_code == 201
    secret = created.get_json()["secret"]
    number = new_case(api("acme_admin")).get_json()["number"]
    new_case(api("globex_admin"), asset_serial="GLOBEX-001")  # another organisation: not delivered here

    state["status"] = 503
    assert deliver_due(session, clock.now(), allowed_networks=LOOPBACK) == (0, 1)
    row = session.scalar(select(WebhookDelivery))
    assert (row.status, row.last_status_code, row.next_attempt_at) == (
        "pending",
        503,
        clock.now() + timedelta(minutes=1),
    )
    state["status"] = 204
    assert deliver_due(session, clock.now() + timedelta(minutes=1), allowed_networks=LOOPBACK) == (1, 0)
    assert len(received) == 2
    headers, body = received[-1]
    assert verify(secret, headers["X-Casemgr-Signature"], body)
    assert not verify("whsec_wrong", headers["X-Casemgr-Signature"], body)
    assert json.loads(body)["case"]["number"] == number and headers["X-Casemgr-Event"] == "case.opened"
    log = api("acme_admin").get(f"/api/v1/webhooks/{row.endpoint_id}/deliveries").get_json()
    assert [(d["status"], d["attempts"]) for d in log] == [("sent", 2)]


def test_only_the_organisations_admin_manages_its_webhooks(api, receiver):
    url, _, _ = receiver
    assert_error(api("acme_user").post("/api/v1/webhooks", json={"url": url}), 403, "forbidden")
    assert_error(api("acme_admin").post("/api/v1/webhooks", json={"url": "ftp://x"}), 422, "validation_error")
    endpoint = api("acme_admin").post("/api/v1/webhooks", json={"url": url}).get_json()["id"]
    assert_error(api("globex_admin").get(f"/api/v1/webhooks/{endpoint}/deliveries"), 404, "not_found")
    assert api("globex_admin").get("/api/v1/webhooks").get_json() == []


def test_a_disabled_endpoint_gets_nothing_more_and_its_pending_deliveries_are_dropped(api, session, world, receiver):
    url, received, _ = receiver
    admin = api("acme_admin")
    first, second = (admin.post("/api/v1/webhooks", json={"url": url}).get_json()["id"] for _ in range(2))
    session.expire_all()
    assert world.acme.webhook_endpoints == 2
    new_case(admin)  # one pending delivery per endpoint
    assert_error(
        api("acme_user").client.delete(f"/api/v1/webhooks/{first}", headers=api("acme_user").headers), 403, "forbidden"
    )
    assert_error(
        api("globex_admin").client.delete(f"/api/v1/webhooks/{first}", headers=api("globex_admin").headers),
        404,
        "not_found",
    )
    assert admin.client.delete(f"/api/v1/webhooks/{first}", headers=admin.headers).status_code == 204
    assert admin.client.delete(f"/api/v1/webhooks/{first}", headers=admin.headers).status_code == 204  # idempotent
    assert [e["id"] for e in admin.get("/api/v1/webhooks").get_json()] == [second]
    session.expire_all()
    assert world.acme.webhook_endpoints == 1
    new_case(admin)
    rows = session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, WebhookDelivery.last_error).order_by(
            WebhookDelivery.id
        )
    ).all()
    assert rows == [(first, "failed", "endpoint disabled"), (second, "pending", None), (second, "pending", None)]
    assert [d["status"] for d in admin.get(f"/api/v1/webhooks/{first}/deliveries").get_json()] == ["failed"]


def test_the_webhook_listener_costs_no_query_for_an_organisation_without_endpoints(api, app, world, receiver):
    """Most organisations have no endpoint: opening a case then never reads webhook_endpoint."""
    url, _, _ = receiver
    statements = []
    engines = {
        id(f.kw["bind"]): f.kw["bind"]
        for f in (registry_of(app).db.session_factory, registry_of(app).db.write_session_factory)
    }
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", listen)
    try:
        assert new_case(api("acme_admin")).status_code == 201
        assert statements and not [s for s in statements if "FROM webhook_endpoint" in s]
        api("acme_admin").post("/api/v1/webhooks", json={"url": url})
        statements.clear()
        assert new_case(api("acme_admin")).status_code == 201
        assert [s for s in statements if "FROM webhook_endpoint" in s]
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", listen)
