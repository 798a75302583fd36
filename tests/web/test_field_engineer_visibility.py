"""Field engineers see what they service (issue 19): the case and asset behind each of their
dispatches, read-only, and nothing else (404, as for any object out of reach)."""

from __future__ import annotations

from tests.web.test_rma_pages import FIELD, acme_rma, globex_rma  # noqa: F401  (fixtures)


def test_the_case_and_asset_behind_a_dispatch_open_read_only(world, web, acme_rma):  # noqa: F811
    client = web(FIELD)
    case_page = client.get(f"/cases/{acme_rma.case.number}")
    assert case_page.status_code == 200
    body = case_page.get_data(as_text=True)
    assert acme_rma.case.subject in body
    assert 'action="/cases/' + acme_rma.case.number + '/reply"' not in body  # no reply form
    assert "/owner" not in body and "/status" not in body  # no controls to work the case
    assert "Add a watcher" not in body
    asset_page = client.get(f"/assets/{acme_rma.asset.serial}")
    assert asset_page.status_code == 200
    assert "bay 4" in asset_page.get_data(as_text=True)  # the slot map
    rma_page = client.get(f"/rmas/{acme_rma.number}").get_data(as_text=True)
    assert f'href="/cases/{acme_rma.case.number}"' in rma_page  # the RMA page links to its case


def test_lists_show_only_the_serviced_case_and_asset(world, web, acme_rma, globex_rma):  # noqa: F811
    client = web(FIELD)
    cases = client.get("/cases/").get_data(as_text=True)
    assert acme_rma.case.number in cases and globex_rma.case.number not in cases
    assets = client.get("/assets/").get_data(as_text=True)
    assert acme_rma.asset.serial in assets and "GLOBEX-001" not in assets


def test_a_case_without_their_visit_stays_out_of_reach(world, web, acme_rma, globex_rma):  # noqa: F811
    client = web(FIELD)
    assert client.get(f"/cases/{globex_rma.case.number}").status_code == 404
    assert client.get("/assets/GLOBEX-001").status_code == 404
    version = str(acme_rma.case.version)
    for action, form in (
        ("reply", {"body": "hello"}),
        ("status", {"status": "resolved"}),
        ("owner", {"owner_id": str(world.user("field").id)}),
    ):
        response = client.post(f"/cases/{acme_rma.case.number}/{action}", data={**form, "version": version})
        assert response.status_code == 403, action  # read-only: seen, not worked


def test_the_api_follows_the_same_rule(world, api, acme_rma, globex_rma):  # noqa: F811
    client = api("field")
    assert client.get(f"/api/v1/cases/{acme_rma.case.number}").status_code == 200
    listed = [c["number"] for c in client.get("/api/v1/cases").get_json()["items"]]
    assert listed == [acme_rma.case.number]
    assert client.get(f"/api/v1/cases/{globex_rma.case.number}").status_code == 404
