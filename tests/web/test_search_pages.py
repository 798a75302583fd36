"""The search page, the header box and the identifier jumps, through the test client."""

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
        subject="Acme ocelot alarm",
        description="The ocelot sensor reports heat",
    )
    globex = create_case(
        session,
        asset=world.globex_asset,
        opener=world.user("globex_admin"),
        subject="Globex ocelot secret",
        description="Confidential ocelot plans",
    )
    store = LocalAttachmentStore("/nonexistent/no-uploads-here", 1 << 20)
    case_comments.add_comment(
        session, world.user("engineer"), store, acme, body="Internal ocelot theory", public=False, now=clock.now()
    )
    return acme, globex


def test_every_page_has_the_search_box_in_its_header(web, world):
    body = web("admin@acme.example.com").get("/cases/").get_data(as_text=True)
    assert 'class="header-search"' in body and 'action="/search"' in body and 'name="q"' in body


def test_results_are_the_users_own_and_highlighted(web, world, cases):
    acme, globex = cases
    page = web("admin@acme.example.com").get("/search?q=ocelot")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert acme.number in body and "<mark>ocelot</mark>" in body
    assert globex.number not in body and "Globex" not in body and "Internal ocelot" not in body


def test_vendor_staff_find_internal_notes_and_every_organisation(web, world, cases):
    acme, globex = cases
    body = web("eng@vendor.example.com").get("/search?q=ocelot").get_data(as_text=True)
    assert acme.number in body and globex.number in body and "theory" in body


def test_the_kind_narrows_the_results(web, world, cases):
    acme, _ = cases
    body = web("eng@vendor.example.com").get("/search?q=ocelot&kind=comment").get_data(as_text=True)
    assert "theory" in body and '<span class="tag">Comment</span>' in body
    assert '<span class="tag">Case</span>' not in body


@pytest.mark.parametrize("typed", ["{n}", "{n_lower}", "{n_nodash}"])
def test_a_case_number_in_any_case_goes_to_the_case(web, world, cases, typed):
    acme, globex = cases
    n = acme.number
    q = typed.format(n=n, n_lower=n.lower(), n_nodash=n.replace("-", "").lower())
    response = web("admin@acme.example.com").get(f"/search?q={q}")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{n}"


def test_another_organisations_case_number_finds_nothing(web, world, cases):
    _, globex = cases
    response = web("admin@acme.example.com").get(f"/search?q={globex.number.lower()}")
    assert response.status_code == 200 and globex.number not in response.get_data(as_text=True)


def test_serials_jump_to_the_asset_when_visible(web, world):
    customer = web("admin@acme.example.com")
    assert customer.get("/search?q=acme-001-d3").headers["Location"] == "/assets/ACME-001"
    assert customer.get("/search?q=acme-001").headers["Location"] == "/assets/ACME-001"
    assert customer.get("/search?q=globex-001").status_code == 200


def test_a_lower_case_case_url_redirects_to_the_canonical_one(web, world, cases):
    acme, globex = cases
    customer = web("admin@acme.example.com")
    response = customer.get(f"/cases/{acme.number.lower()}")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{acme.number}"
    assert customer.get(f"/cases/{globex.number.lower()}").status_code == 404


@pytest.mark.parametrize(("query", "message"), [("q=%20%20", "Type something"), ("q=" + "x" * 201, "at most 200")])
def test_bad_searches_say_why_and_keep_what_was_typed(web, world, query, message):
    response = web("admin@acme.example.com").get(f"/search?{query}")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body


def test_an_unknown_kind_is_refused(web, world):
    response = web("admin@acme.example.com").get("/search?q=disk&kind=secrets")
    assert response.status_code == 422 and 'value="disk"' in response.get_data(as_text=True)


def test_the_next_page_link_continues_the_search(web, world, session, clock):
    case = create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"))
    store = LocalAttachmentStore("/nonexistent/no-uploads-here", 1 << 20)
    for n in range(22):
        case_comments.add_comment(
            session, world.user("engineer"), store, case, body=f"lemur {n}", public=True, now=clock.now()
        )
    client = web("admin@acme.example.com")
    first = client.get("/search?q=lemur").get_data(as_text=True)
    assert "More results" in first
    import re

    cursor = re.search(r'cursor=([^"&]+)', first).group(1)
    second = client.get(f"/search?q=lemur&cursor={cursor}").get_data(as_text=True)
    assert second.count('class="search-hit"') == 2 and "More results" not in second
