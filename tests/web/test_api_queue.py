"""The queue through the API: sort=due and the filters, the vendor-only fields, saved views and macros."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import create_case

UNSAFE = "Please pull the failed drive and push it back in to see if it rebuilds."


@pytest.fixture
def cases(session, world, clock):
    return {
        s: create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"), severity=s, now=clock.now())
        for s in (4, 1, 2)
    }


def test_sort_due_lists_the_most_urgent_first_with_the_next_deadline(api, cases, clock):
    clock.advance(timedelta(minutes=35))
    body = api("engineer").get("/api/v1/cases?sort=due").get_json()
    assert [c["number"] for c in body["items"]] == [cases[1].number, cases[2].number, cases[4].number]
    first = body["items"][0]["queue"]
    assert first["urgency"] == "breached" and first["next_due_kind"] == "first_response"
    assert body["items"][1]["queue"]["urgency"] == "at_risk"


def test_sort_due_pages_with_its_cursor(api, cases, clock):
    client = api("engineer")
    first = client.get("/api/v1/cases?sort=due&limit=2").get_json()
    rest = client.get(f"/api/v1/cases?sort=due&limit=2&cursor={first['next_cursor']}").get_json()
    numbers = [c["number"] for c in first["items"] + rest["items"]]
    assert numbers == [cases[1].number, cases[2].number, cases[4].number]
    assert rest["next_cursor"] is None
    mixed = client.get(f"/api/v1/cases?limit=2&cursor={first['next_cursor']}")
    assert mixed.status_code == 400 and mixed.get_json()["error"]["code"]


def test_the_filters_work_in_the_api(api, cases, clock):
    clock.advance(timedelta(minutes=35))
    body = api("engineer").get("/api/v1/cases?sort=due&breached=true").get_json()
    assert [c["number"] for c in body["items"]] == [cases[1].number]
    body = api("engineer").get("/api/v1/cases?at_risk=true&sort=due").get_json()
    assert [c["number"] for c in body["items"]] == [cases[2].number]


def test_customers_get_no_queue_fields_and_may_not_sort_by_due(api, cases):
    client = api("acme_admin")
    body = client.get("/api/v1/cases").get_json()
    assert body["items"] and all(c["queue"] is None for c in body["items"])
    refused = client.get("/api/v1/cases?sort=due")
    assert refused.status_code == 400 and "error" in refused.get_json()


def test_saved_views_through_the_api_are_the_callers_own(api, world):
    engineer = api("engineer")
    created = engineer.post("/api/v1/me/queue-views", json={"name": "Mine", "query": "mine=1&sort=due"})
    assert created.status_code == 201
    view = created.get_json()
    assert view["filters"]["mine"] == "1"
    assert [v["name"] for v in engineer.get("/api/v1/me/queue-views").get_json()["items"]] == ["Mine"]
    assert api("engineer2").get("/api/v1/me/queue-views").get_json()["items"] == []
    other = api("engineer2").client.delete(f"/api/v1/me/queue-views/{view['id']}", headers=api("engineer2").headers)
    assert other.status_code == 404
    assert api("acme_admin").get("/api/v1/me/queue-views").status_code == 403


def test_macros_through_the_api_go_through_the_placeholder_check_and_the_guard(api, world):
    manager = api("manager")
    unsafe = manager.post("/api/v1/macros", json={"name": "Reseat", "body": UNSAFE})
    assert unsafe.status_code == 422 and unsafe.get_json()["error"]["code"] == "safety_guard"
    unknown = manager.post("/api/v1/macros", json={"name": "Ack", "body": "Hi {who}"})
    assert unknown.status_code == 422 and "{who}" in unknown.get_json()["error"]["message"]
    created = manager.post("/api/v1/macros", json={"name": "Ack", "body": "Hello {customer_name}"})
    assert created.status_code == 201
    macro = created.get_json()
    listed = api("engineer").get("/api/v1/macros").get_json()
    assert [m["name"] for m in listed["items"]] == ["Ack"] and "case_number" in listed["placeholders"]
    assert api("engineer").post("/api/v1/macros", json={"name": "X", "body": "Y"}).status_code == 403
    assert api("acme_admin").get("/api/v1/macros").status_code == 403
    stale = manager.client.put(
        f"/api/v1/macros/{macro['id']}",
        json={"name": "Ack", "body": "Hi", "version": macro["version"] + 1},
        headers=manager.headers,
    )
    assert stale.status_code == 409


def test_the_queue_routes_are_in_the_openapi_document(api):
    paths = api("engineer").get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/macros", "/api/v1/macros/{macro_id}", "/api/v1/me/queue-views"} <= set(paths)
    params = {p["name"] for p in paths["/api/v1/cases"]["get"]["parameters"]}
    assert {"sort", "breached", "at_risk", "escalated", "not_entitled"} <= params
