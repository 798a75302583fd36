"""Principle 7: nobody sees another organisation's data, by any URL (404, not 403)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from casemgr.cases import comments, opening
from casemgr.cases.attachments import LocalAttachmentStore, Upload
from casemgr.cases.models import Attachment


@pytest.fixture
def globex_case(app, session, world, clock, tmp_path):
    store = LocalAttachmentStore(app.config["ATTACHMENT_DIR"], app.config["MAX_CONTENT_LENGTH"])
    case = opening.open_case(
        session,
        world.user("globex_admin"),
        store,
        asset_serial="GLOBEX-001",
        severity=2,
        subject="Globex secret",
        description="Confidential",
        uploads=[Upload("secret.log", io.BytesIO(b"globex only"))],
        now=clock.now(),
    )
    attachment = session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    return case.number, attachment.id


def foreign_urls(number: str, attachment_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/cases/{number}"),
        ("GET", f"/cases/{number}/acknowledgement"),
        ("GET", f"/cases/{number}/attachments/{attachment_id}"),
        ("GET", "/assets/GLOBEX-001"),
        ("POST", f"/cases/{number}/reply"),
        ("POST", f"/cases/{number}/status"),
        ("POST", f"/cases/{number}/severity"),
        ("POST", f"/cases/{number}/owner"),
        ("POST", f"/cases/{number}/close"),
        ("POST", f"/cases/{number}/confirm"),
        ("POST", f"/cases/{number}/tier"),
        ("GET", f"/cases/{number}?macro=1"),
    ]


@pytest.mark.parametrize(
    "email", ["admin@acme.example.com", "user@acme.example.com", "am@vendor.example.com", "field@vendor.example.com"]
)
def test_every_case_and_asset_url_of_another_organisation_answers_404(world, web, globex_case, email):
    number, attachment_id = globex_case
    client = web(email)
    for method, url in foreign_urls(number, attachment_id):
        response = client.get(url) if method == "GET" else client.post(url, data={"body": "x", "version": "1"})
        assert response.status_code == 404, (email, method, url)
        assert "Globex secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("key", ["acme_admin", "acme_user", "account", "field"])
def test_the_api_file_routes_of_another_organisations_case_answer_404(api, world, globex_case, key):
    number, attachment_id = globex_case
    client = api(key)
    for response in (
        client.get(f"/api/v1/cases/{number}/attachments"),
        client.get(f"/api/v1/cases/{number}/attachments/{attachment_id}"),
        client.post(
            f"/api/v1/cases/{number}/attachments",
            data={"file": [(io.BytesIO(b"x"), "x.log")]},
            content_type="multipart/form-data",
        ),
    ):
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found", key
        assert b"globex only" not in response.data and b"secret.log" not in response.data
    assert api("engineer").get(f"/api/v1/cases/{number}/attachments/{attachment_id}").data == b"globex only"


@pytest.mark.parametrize("email", ["admin@acme.example.com", "am@vendor.example.com"])
def test_lists_never_show_another_organisations_cases_or_assets(world, web, globex_case, email):
    number, _ = globex_case
    client = web(email)
    for url in ("/cases/?status=all", f"/cases/?org={world.globex.id}", "/assets/", f"/assets/?org={world.globex.id}"):
        body = client.get(url).get_data(as_text=True)
        assert number not in body and "GLOBEX-001" not in body, url


def test_the_account_manager_sees_assigned_partners_read_only(world, web, session, clock, app):
    store = LocalAttachmentStore(app.config["ATTACHMENT_DIR"], app.config["MAX_CONTENT_LENGTH"])
    case = opening.open_case(
        session,
        world.user("acme_admin"),
        store,
        asset_serial="ACME-001",
        severity=3,
        subject="Acme visible",
        description="to the account team",
        now=clock.now(),
    )
    client = web("am@vendor.example.com")
    page = client.get(f"/cases/{case.number}")
    assert page.status_code == 200 and "Acme visible" in page.get_data(as_text=True)
    assert "Work the case" not in page.get_data(as_text=True)
    assert client.post(f"/cases/{case.number}/status", data={"status": "resolved", "version": "1"}).status_code == 403


def test_staff_see_every_organisation(world, web, globex_case):
    number, attachment_id = globex_case
    client = web("eng@vendor.example.com")
    assert client.get(f"/cases/{number}").status_code == 200
    assert client.get(f"/cases/{number}/attachments/{attachment_id}").data == b"globex only"


def test_internal_attachments_are_not_served_to_the_customer(world, web, session, app, clock, globex_case):
    number, _ = globex_case
    from casemgr.auth.policy import get_case_for

    engineer = world.user("engineer")
    store = LocalAttachmentStore(app.config["ATTACHMENT_DIR"], app.config["MAX_CONTENT_LENGTH"])
    case = get_case_for(session, engineer, number)
    event = comments.add_comment(
        session,
        engineer,
        store,
        case,
        body="internal trace",
        public=False,
        uploads=[Upload("trace.txt", io.BytesIO(b"internal"))],
        now=clock.now(),
    )
    attachment_id = event.attachments[0].id
    assert web("eng@vendor.example.com").get(f"/cases/{number}/attachments/{attachment_id}").status_code == 200
    customer = web("admin@globex.example.com")
    assert customer.get(f"/cases/{number}/attachments/{attachment_id}").status_code == 404
    assert not re.search("trace.txt", customer.get(f"/cases/{number}").get_data(as_text=True))


def test_another_organisations_component_serial_answers_as_an_unknown_one(api, world):
    """Naming a Globex drive on an Acme case must not tell Acme that the drive exists."""
    client = api("acme_admin")
    base = {"asset_serial": "ACME-001", "severity": 3, "subject": "Disk", "description": "Amber LED"}
    foreign = client.post("/api/v1/cases", json={**base, "component_serial": "GLOBEX-001-D1"})
    unknown = client.post("/api/v1/cases", json={**base, "component_serial": "MADE-UP-D1"})
    assert foreign.status_code == unknown.status_code == 422
    messages = [r.get_json()["error"]["message"] for r in (foreign, unknown)]
    assert messages[0].replace("GLOBEX-001-D1", "X") == messages[1].replace("MADE-UP-D1", "X")
    own = client.post("/api/v1/cases", json={**base, "component_serial": "acme-001-d1"})
    assert own.status_code == 201 and own.get_json()["component_serial"] == "ACME-001-D1"


@pytest.mark.parametrize("key", ["acme_admin", "acme_user", "account"])
def test_another_organisations_contract_answers_404_by_the_api(api, world, session, key):
    """GET /api/v1/contracts/{id} is tenant-scoped: a customer or an account manager reads their
    partners' contracts only; another's answers as an unknown id."""
    from casemgr.contracts.models import Contract

    globex = session.scalar(select(Contract).where(Contract.number == "C-GLOBEX"))
    client = api(key)
    foreign, unknown = client.get(f"/api/v1/contracts/{globex.id}"), client.get("/api/v1/contracts/999999")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.get_json()["error"]["message"].replace(str(globex.id), "N") == unknown.get_json()["error"][
        "message"
    ].replace("999999", "N")
    assert "C-GLOBEX" not in client.get("/api/v1/contracts").get_data(as_text=True)


def foreign_user_urls(user_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/admin/users/{user_id}"),
        ("POST", f"/admin/users/{user_id}"),
        ("POST", f"/admin/users/{user_id}/deactivate"),
        ("POST", f"/admin/users/{user_id}/reactivate"),
        ("POST", f"/admin/users/{user_id}/password-reset"),
    ]


def test_a_customer_admin_gets_404_for_every_user_page_of_another_organisation(world, web, api):
    """User administration (issue 17): pages and API alike; the user is left as it was."""
    globex_admin = world.user("globex_admin")
    client = web("admin@acme.example.com")
    for method, url in foreign_user_urls(globex_admin.id):
        data = {"version": "1", "name": "Hijacked", "role": "customer_user"}
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 404, (method, url)
        assert "admin@globex.example.com" not in response.get_data(as_text=True)
    token = api("acme_admin")
    for method, url in [("GET", f"/api/v1/users/{globex_admin.id}")] + [
        ("POST", f"/api/v1/users/{globex_admin.id}/{action}")
        for action in ("deactivate", "reactivate", "password-reset")
    ]:
        response = token.get(url) if method == "GET" else token.post(url, json={})
        assert response.status_code == 404, (method, url)
    listed = {u["email"] for u in token.get(f"/api/v1/users?organization_id={world.globex.id}").get_json()}
    assert listed == set()
    assert globex_admin.is_active and globex_admin.name != "Hijacked"


@pytest.mark.parametrize(
    "email", ["admin@acme.example.com", "user@acme.example.com", "am@vendor.example.com", "field@vendor.example.com"]
)
def test_search_never_finds_or_jumps_to_another_organisations_case_or_asset(world, web, globex_case, email):
    number, _ = globex_case
    client = web(email)
    for url in (
        "/search?q=Globex+secret",
        "/search?q=Confidential&kind=case",
        f"/search?q={number.lower()}",
        "/search?q=globex-001",
        "/search?q=GLOBEX-001-D1",
    ):
        response = client.get(url)  # the page shows the query typed, and no result
        assert response.status_code == 200, (email, url)
        assert 'class="search-hit"' not in response.get_data(as_text=True), (email, url)
    assert client.get(f"/cases/{number.lower()}").status_code == 404
