"""Webhooks never reach our own network, never hold a lock while sending, and are
the organisation admin's alone."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from casemgr.channels.models import WebhookDelivery
from casemgr.channels.outbound import parse_networks, post_json
from casemgr.channels.webhooks import LEASE, deliver_due
from tests.web.test_api import assert_error, new_case
from tests.web.test_api_webhooks import receiver  # noqa: F401 - the fixture

LOOPBACK = parse_networks("127.0.0.1/32")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:5432/",
        "http://localhost:22/",
        "http://[::1]:6379/",
    ],
)
def test_registering_an_internal_address_is_refused(api, url):
    response = api("acme_admin").post("/api/v1/webhooks", json={"url": url})
    error = assert_error(response, 422, "rule_violation")
    assert "public addresses only" in error["message"]
    assert api("acme_admin").get("/api/v1/webhooks").get_json() == []


def test_a_customer_user_cannot_list_the_organisations_webhooks(api, receiver):  # noqa: F811
    url, _, _ = receiver
    endpoint = api("acme_admin").post("/api/v1/webhooks", json={"url": url}).get_json()["id"]
    assert_error(api("acme_user").get("/api/v1/webhooks"), 403, "forbidden")
    assert_error(api("acme_user").get(f"/api/v1/webhooks/{endpoint}/deliveries"), 403, "forbidden")


def test_a_destination_that_is_no_longer_allowed_is_not_sent_to_and_the_log_says_only_that(
    api,
    session,
    clock,
    receiver,  # noqa: F811
):
    url, received, _ = receiver
    api("acme_admin").post("/api/v1/webhooks", json={"url": url})  # allowed when registered
    new_case(api("acme_admin"))
    assert deliver_due(session, clock.now(), allowed_networks=()) == (0, 1)
    assert received == []
    row = session.scalar(select(WebhookDelivery))
    assert row.status == "pending" and row.last_status_code is None
    assert row.last_error.startswith("not sent:") and "public addresses only" in row.last_error


@pytest.mark.commits  # another connection must get the row while the sender runs
def test_the_request_is_sent_outside_any_transaction(api, session, clock, db_url, receiver):  # noqa: F811
    """While the receiver is being called, another writer gets the delivery row at once."""
    url, _, _ = receiver
    api("acme_admin").post("/api/v1/webhooks", json={"url": url})
    new_case(api("acme_admin"))
    seen = []

    def sender(destination, body, headers):
        if db_url.startswith("sqlite"):
            other = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0.5)
            other.execute("BEGIN IMMEDIATE")  # fails fast if the sender held the write lock
            other.rollback()
            other.close()
        else:
            engine = create_engine(db_url)
            with engine.begin() as conn:
                conn.execute(text("SET lock_timeout = '500ms'"))
                conn.execute(text("SELECT id FROM webhook_delivery FOR UPDATE NOWAIT")).all()
            engine.dispose()
        seen.append(headers["X-Casemgr-Delivery"])
        return post_json(destination, body, headers)

    assert deliver_due(session, clock.now(), allowed_networks=LOOPBACK, sender=sender) == (1, 0)
    assert len(seen) == 1


def test_a_sender_that_dies_mid_batch_re_sends_only_what_was_in_flight(api, session, clock, receiver):  # noqa: F811
    url, received, _ = receiver
    api("acme_admin").post("/api/v1/webhooks", json={"url": url})
    for _ in range(3):
        new_case(api("acme_admin"))
    calls = []

    def dies_on_the_second(destination, body, headers):
        calls.append(headers["X-Casemgr-Delivery"])
        status = post_json(destination, body, headers)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process is killed after the request went out
        return status

    with pytest.raises(KeyboardInterrupt):
        deliver_due(session, clock.now(), allowed_networks=LOOPBACK, sender=dies_on_the_second)
    session.rollback()
    first, second = int(calls[0]), int(calls[1])
    assert deliver_due(session, clock.now() + timedelta(minutes=1), allowed_networks=LOOPBACK) == (0, 0)  # leased
    assert deliver_due(session, clock.now() + LEASE, allowed_networks=LOOPBACK) == (2, 0)
    ids = [int(h["X-Casemgr-Delivery"]) for h, _ in received]
    assert ids.count(first) == 1 and ids.count(second) == 2 and len(ids) == 4
    assert {r.status for r in session.scalars(select(WebhookDelivery))} == {"sent"}
