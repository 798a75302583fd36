"""GET /api/v1/search: documented, scoped like the page, 422 on bad input."""

from __future__ import annotations

import pytest

from casemgr.cases import comments as case_comments
from casemgr.cases.attachments import LocalAttachmentStore
from tests.factories import create_case


@pytest.fixture
def cases(session, world, clock):
    acme = create_case(
        session,
        asset=world.acme_asset,
        opener=world.user("acme_admin"),
        subject="Acme <b>gecko</b> fault",
        description="gecko & friends",
    )
    globex = create_case(
        session,
        asset=world.globex_asset,
        opener=world.user("globex_admin"),
        subject="Globex gecko secret",
        description="gecko",
    )
    store = LocalAttachmentStore("/nonexistent/no-uploads-here", 1 << 20)
    case_comments.add_comment(
        session, world.user("engineer"), store, acme, body="internal gecko note", public=False, now=clock.now()
    )
    return acme, globex


def test_the_route_and_its_shapes_are_in_the_openapi_document(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "kind", "cursor"}
    hit = doc["components"]["schemas"]["SearchHit"]["properties"]
    assert set(hit) == {"kind", "key", "title", "snippet", "url"}
    assert "next" in doc["components"]["schemas"]["SearchPage"]["properties"]


def test_results_are_scoped_and_snippets_escaped(api, world, cases):
    acme, globex = cases
    body = api("acme_admin").get("/api/v1/search?q=gecko").get_json()
    assert {r["key"] for r in body["results"]} == {acme.number} and body["next"] is None
    [hit] = [r for r in body["results"] if r["kind"] == "case"]
    assert set(hit) == {"kind", "key", "title", "snippet", "url"} and hit["url"] == f"/cases/{acme.number}"
    assert "<mark>gecko</mark>" in hit["snippet"] and "<b>" not in hit["snippet"]
    staff = api("engineer").get("/api/v1/search?q=gecko").get_json()["results"]
    assert {r["kind"] for r in staff} == {"case", "comment"} and globex.number in {r["key"] for r in staff}


def test_an_exact_number_comes_first(api, world, cases):
    acme, _ = cases
    results = api("acme_admin").get(f"/api/v1/search?q={acme.number.lower()}").get_json()["results"]
    assert results[0]["key"] == acme.number and results[0]["kind"] == "case"


def test_the_cursor_pages_through_and_a_foreign_one_is_refused(api, world, session, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    store = LocalAttachmentStore("/nonexistent/no-uploads-here", 1 << 20)
    for n in range(4):
        case_comments.add_comment(
            session, world.user("engineer"), store, case, body=f"iguana {n}", public=True, now=clock.now()
        )
    client = api("acme_admin")
    first = client.get("/api/v1/search?q=iguana&limit=3").get_json()
    second = client.get(f"/api/v1/search?q=iguana&limit=3&cursor={first['next']}").get_json()
    assert len(first["results"]) == 3 and len(second["results"]) == 1 and second["next"] is None
    refused = client.get(f"/api/v1/search?q=other&cursor={first['next']}")
    assert refused.status_code == 422 and "cursor" in refused.get_json()["error"]["details"]


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20", "q=" + "x" * 201, "q=disk%00", "q=disk&kind=secret"])
def test_bad_input_is_a_422_with_the_error_shape(api, world, query):
    response = api("acme_admin").get(f"/api/v1/search?{query}")
    assert response.status_code == 422, query
    assert response.get_json()["error"]["code"] == "validation_error"


def test_without_a_token_it_is_401(app):
    assert app.test_client().get("/api/v1/search?q=disk").status_code == 401
