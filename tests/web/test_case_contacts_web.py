"""Watchers on the case page and in the API, notification preferences on the settings page
and in the API, and the events API's from/to: tenancy and clear errors. Both databases."""

from __future__ import annotations

import re

from sqlalchemy import select

from casemgr.cases.models import CaseEvent, CaseWatcher
from casemgr.notifications.models import NotificationPreference
from tests.web.test_api import assert_error, new_case


def _case_number(api_client) -> str:
    response = new_case(api_client)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["number"]


def test_watchers_through_the_api_follow_the_tenancy_rules(api, session, world):
    customer = api("acme_admin")
    number = _case_number(customer)
    url = f"/api/v1/cases/{number}/watchers"
    added = customer.post(url, json={"email": "user@acme.example.com"})
    assert added.status_code == 201, added.get_data(as_text=True)
    assert added.get_json()["email"] == "user@acme.example.com" and added.get_json()["side"] == "customer"
    # Another organisation's user is "not in your organisation", whether the address exists or not.
    for email in ("admin@globex.example.com", "eng@vendor.example.com", "ghost@acme.example.com"):
        error = assert_error(customer.post(url, json={"email": email}), 422, "rule_violation")
        assert error["message"] == f"No active user {email} in your organisation."
    assert_error(customer.post(url, json={"email": "not an address"}), 422, "validation_error")
    assert_error(customer.post(url, json={"email": "user@acme.example.com"}), 422, "rule_violation")
    # Another tenant's case is 404 for every watcher call.
    globex = api("globex_admin")
    assert_error(globex.get(url), 404, "not_found")
    assert_error(globex.post(url, json={"email": "admin@globex.example.com"}), 404, "not_found")
    gone = globex.client.delete(f"{url}/user@acme.example.com", headers=globex.headers)
    assert_error(gone, 404, "not_found")
    # Support staff add vendor staff; the customer's list shows their own people only.
    engineer = api("engineer")
    assert engineer.post(url, json={"email": "eng2@vendor.example.com"}).status_code == 201
    assert [w["email"] for w in engineer.get(url).get_json()["items"]] == [
        "eng2@vendor.example.com",
        "user@acme.example.com",
    ]
    assert [w["email"] for w in customer.get(url).get_json()["items"]] == ["user@acme.example.com"]
    removed = customer.client.delete(f"{url}/user@acme.example.com", headers=customer.headers)
    assert removed.status_code == 204
    again = customer.client.delete(f"{url}/user@acme.example.com", headers=customer.headers)
    assert_error(again, 404, "not_found")
    session.expire_all()
    assert [w.user.email for w in session.scalars(select(CaseWatcher))] == ["eng2@vendor.example.com"]


def test_the_events_api_carries_from_to_and_a_readable_body(api, session, world):
    customer, engineer = api("acme_admin"), api("engineer")
    number = _case_number(customer)
    version = engineer.get(f"/api/v1/cases/{number}").get_json()["version"]
    moved = engineer.post(
        f"/api/v1/cases/{number}/status", json={"status": "waiting_customer", "version": version, "note": "Logs?"}
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    version = moved.get_json()["version"]
    raised = engineer.post(
        f"/api/v1/cases/{number}/severity", json={"severity": 1, "version": version, "reason": "Site down"}
    )
    assert raised.status_code == 200, raised.get_data(as_text=True)
    items = customer.get(f"/api/v1/cases/{number}/events").get_json()["items"]
    status = next(e for e in items if e["kind"] == "status_changed")
    assert (status["from"], status["to"]) == ("new", "waiting_customer")
    assert status["body"] == "Waiting for your reply (was: new).\nLogs?"
    severity = next(e for e in items if e["kind"] == "severity_changed")
    assert (severity["from"], severity["to"]) == (2, 1)
    assert severity["body"] == "Raised from severity 2 (high) to severity 1 (critical). Reason: Site down"
    opened = next(e for e in items if e["kind"] == "opened")
    assert opened["from"] is None and opened["to"] is None
    # An entry written before bodies were spelled out (empty body) reads from its from/to.
    case_id = session.scalar(select(CaseEvent.case_id).where(CaseEvent.kind == "opened"))
    session.add(
        CaseEvent(
            case_id=case_id,
            kind="status_changed",
            public=True,
            body="",
            data={"from": "waiting_customer", "to": "in_progress"},
            created_at=opened_at(session),
        )
    )
    session.commit()
    old = customer.get(f"/api/v1/cases/{number}/events").get_json()["items"][-1]
    assert old["body"] == "We are working on it (was: waiting on customer)."


def opened_at(session):
    return session.scalar(select(CaseEvent.created_at).where(CaseEvent.kind == "opened"))


def test_notification_preferences_through_the_api(api, session, world):
    client = api("acme_user")
    url = "/api/v1/me/notification-preferences"
    got = client.get(url).get_json()
    assert got["preferences"]["reply"] == "immediate" and got["severity_1_always_immediate"] is True
    assert set(got["kinds"]) == set(got["preferences"])
    put = client.client.put(url, json={"preferences": {"reply": "digest", "rma": "in_app"}}, headers=client.headers)
    assert put.status_code == 200, put.get_data(as_text=True)
    assert (put.get_json()["preferences"]["reply"], put.get_json()["preferences"]["rma"]) == ("digest", "in_app")
    bad = client.client.put(url, json={"preferences": {"reply": "hourly", "gossip": "digest"}}, headers=client.headers)
    error = assert_error(bad, 422, "validation_error")
    assert set(error["details"]) == {"reply", "gossip"}
    assert client.get(url).get_json()["preferences"]["reply"] == "digest", "a refused update changes nothing"
    # Each user's own: another user still has the defaults.
    assert api("acme_admin").get(url).get_json()["preferences"]["reply"] == "immediate"


def test_watchers_on_the_case_page(web, api, session, world):
    number = _case_number(api("acme_admin"))
    admin = web("admin@acme.example.com")
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    assert "Contacts" in page and "Nobody else yet." in page
    user_id = world.user("acme_user").id
    assert f'<option value="{user_id}">User</option>' in page
    assert "Eng" not in re.sub(r"(?s).*<section class=\"card contacts\">(.*?)</section>.*", r"\1", page)
    done = admin.post(f"/cases/{number}/watchers", {"user_id": str(user_id)})
    assert done.status_code == 302
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    assert "user@acme.example.com" in page and "Admin added User as a watcher." in page
    # A typed address outside the organisation re-renders the page with the reason (422), nothing added.
    refused = admin.post(f"/cases/{number}/watchers", {"email": "admin@globex.example.com"})
    assert refused.status_code == 422
    assert "No active user admin@globex.example.com in your organisation." in refused.get_data(as_text=True)
    # No CSRF token: refused, nothing changes.
    assert admin.post(f"/cases/{number}/watchers", {"user_id": str(user_id)}, csrf=False).status_code == 400
    # Another tenant's case: 404.
    globex = web("admin@globex.example.com")
    assert globex.post(f"/cases/{number}/watchers", {"user_id": str(user_id)}).status_code == 404
    assert globex.post(f"/cases/{number}/watchers/{user_id}/remove").status_code == 404
    assert admin.post(f"/cases/{number}/watchers/{user_id}/remove").status_code == 302
    session.expire_all()
    assert session.scalars(select(CaseWatcher)).all() == []


def test_preferences_on_the_settings_page(web, session, world):
    client = web("user@acme.example.com")
    page = client.get("/settings").get_data(as_text=True)
    assert "How you hear about cases" in page and "Severity 1 cases always e-mail you immediately" in page
    saved = client.post("/notifications/preferences", {"mode_reply": "digest", "mode_status": "in_app"})
    assert saved.status_code == 302
    rows = {
        p.kind: p.mode
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == world.user("acme_user").id)
        )
    }
    assert rows == {"reply": "digest", "status": "in_app"}
    page = client.get("/settings").get_data(as_text=True)
    assert '<option value="digest" selected>' in page
    refused = client.post("/notifications/preferences", {"mode_reply": "hourly"})
    assert refused.status_code == 422 and "Some notification preferences are not valid." in refused.get_data(
        as_text=True
    )
    assert client.post("/notifications/preferences", {"mode_reply": "in_app"}, csrf=False).status_code == 400
