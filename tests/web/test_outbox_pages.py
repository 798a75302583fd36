"""The Outbox page and API for support managers and admins, and in-app notifications
that link to their case."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from casemgr.notifications.models import Notification
from casemgr.notifications.services import notify
from tests.conftest import T0
from tests.web.test_api import assert_error

MANAGER, ADMIN, ENGINEER, CUSTOMER = (
    "mgr@vendor.example.com",
    "root@vendor.example.com",
    "eng@vendor.example.com",
    "admin@acme.example.com",
)


@pytest.fixture
def failing(session, world):
    """Two e-mails whose last attempt failed (one of them about a case-less digest), one still new."""
    notify(session, [world.user("engineer"), world.user("acme_admin")], subject="Digest", body="b", now=T0)
    session.commit()
    rows = list(session.scalars(select(Notification).where(Notification.channel == "email").order_by(Notification.id)))
    session.execute(
        update(Notification)
        .where(Notification.id == rows[0].id)
        .values(attempts=11, last_error="ConnectionRefusedError: relay <down>", next_attempt_at=T0 + timedelta(hours=2))
    )
    session.commit()
    return rows


def test_managers_see_depth_age_and_the_failing_messages(web, failing, clock):
    clock.advance(timedelta(minutes=90))
    for who in (MANAGER, ADMIN):
        page = web(who).get("/notifications/outbox")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert 'href="/notifications/outbox"' in html, "reachable from the header"
        assert '<span class="n">2</span><span class="l">pending e-mails</span>' in html
        assert '<span class="n">1 h 30 min</span><span class="l">oldest pending</span>' in html
        assert "ConnectionRefusedError: relay &lt;down&gt;" in html and ">11</td>" in html
        assert "2026-11-02 11:00 UTC" in html, "next attempt"
        assert html.count("Retry now") == 1 and html.count(">Discard<") == 1


@pytest.mark.parametrize("who", [ENGINEER, CUSTOMER, "am@vendor.example.com"])
def test_nobody_else_sees_or_changes_the_outbox(web, failing, who, session):
    client = web(who)
    assert client.get("/notifications/outbox").status_code == 404
    assert "/notifications/outbox" not in client.get("/notifications/").get_data(as_text=True)
    assert client.post(f"/notifications/outbox/{failing[0].id}/discard").status_code == 404
    session.expire_all()
    assert session.get(Notification, failing[0].id).status == "pending"


def test_retry_and_discard_from_the_page_are_audited_and_need_the_csrf_token(web, failing, session, clock, caplog):
    manager = web(MANAGER)
    first = failing[0].id
    assert manager.post(f"/notifications/outbox/{first}/retry", csrf=False).status_code == 400
    caplog.set_level(logging.INFO, logger="casemgr.notifications.outbox")
    response = manager.post(f"/notifications/outbox/{first}/retry")
    assert response.status_code == 302 and response.location.endswith("/notifications/outbox")
    session.expire_all()
    assert session.get(Notification, first).next_attempt_at == clock.now()
    assert f"{MANAGER} (user" in caplog.text and f"retry e-mail {first} to eng@vendor.example.com" in caplog.text

    response = manager.post(f"/notifications/outbox/{first}/discard", follow_redirects=True)
    assert "discarded: it will not be sent" in response.get_data(as_text=True)
    session.expire_all()
    row = session.get(Notification, first)
    manager_id = session.scalar(select(Notification.discarded_by_id).where(Notification.id == first))
    assert (row.status, row.discarded_at) == ("discarded", clock.now()) and manager_id is not None
    assert f"discarded e-mail {first} to eng@vendor.example.com after 11 attempts" in caplog.text

    again = manager.post(f"/notifications/outbox/{first}/discard")
    assert again.status_code == 409 and "already discarded" in again.get_data(as_text=True)
    assert manager.post("/notifications/outbox/999999/retry").status_code == 404
    page = manager.get("/notifications/outbox").get_data(as_text=True)
    assert '<span class="n">1</span><span class="l">pending e-mails</span>' in page


def test_the_outbox_api_lists_retries_and_discards_for_managers_only(api, failing, session, clock):
    manager = api("manager")
    body = manager.get("/api/v1/outbox").get_json()
    assert body["depth"] == 2 and body["oldest_age_seconds"] == 0
    (entry,) = body["failing"]
    assert (entry["id"], entry["to"], entry["attempts"], entry["status"]) == (
        failing[0].id,
        "eng@vendor.example.com",
        11,
        "pending",
    )
    assert entry["last_error"] == "ConnectionRefusedError: relay <down>" and entry["case_number"] is None
    retried = manager.post(f"/api/v1/outbox/{failing[0].id}/retry")
    assert retried.status_code == 200 and retried.get_json()["next_attempt_at"].startswith("2026-11-02T09:00:00")
    discarded = api("admin").post(f"/api/v1/outbox/{failing[1].id}/discard").get_json()
    assert discarded["status"] == "discarded" and discarded["discarded_by_id"] == session.scalar(
        select(Notification.discarded_by_id).where(Notification.id == failing[1].id)
    )
    assert_error(manager.post(f"/api/v1/outbox/{failing[1].id}/retry"), 409, "conflict")
    assert_error(manager.post("/api/v1/outbox/999999/discard"), 404, "not_found")
    for who in ("engineer", "acme_admin", "account"):
        assert_error(api(who).get("/api/v1/outbox"), 404, "not_found")
        assert_error(api(who).post(f"/api/v1/outbox/{failing[0].id}/discard"), 404, "not_found")
    assert manager.get("/api/v1/outbox").get_json()["depth"] == 1


def test_the_outbox_api_is_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/outbox",
        "/api/v1/outbox/{notification_id}/retry",
        "/api/v1/outbox/{notification_id}/discard",
    } <= set(paths)


def test_an_in_app_notification_links_to_its_case(web, session, world):
    from tests.web.test_case_pages import case_number, open_case

    number = case_number(open_case(web(CUSTOMER)))
    html = web(CUSTOMER).get("/notifications/").get_data(as_text=True)
    assert f'<a class="mono" href="/cases/{number}">{number}</a>' in html
