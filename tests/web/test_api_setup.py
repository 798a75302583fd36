"""Set-up objects through the API: read one, PATCH it against the version read (a stale one
is a 409, never an overwrite), account managers, and contracts as the customer reads them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.audit import AuditEntry
from casemgr.contracts.models import Contract
from tests.web.test_api import assert_error


def _contract(session, number):
    return session.scalar(select(Contract).where(Contract.number == number))


def test_a_site_is_read_with_its_version_and_patched_against_it(api, world):
    root = api("admin")
    site_id = world.acme.sites[0].id
    read = root.get(f"/api/v1/sites/{site_id}")
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert read.get_json()["timezone"] == "America/New_York" and read.get_json()["version"] == 1
    saved = root.patch(f"/api/v1/sites/{site_id}", json={"version": 1, "region": "us-east", "address": "2 Acme Way"})
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert (body["region"], body["address"], body["name"], body["version"]) == ("us-east", "2 Acme Way", "Acme DC", 2)
    assert saved.headers["ETag"] == '"2"'


def test_a_stale_version_is_a_conflict_naming_the_current_one(api, world):
    root = api("admin")
    url = f"/api/v1/organizations/{world.globex.id}"
    assert root.patch(url, json={"name": "Globex Corp"}, headers={"If-Match": '"1"'}).status_code == 200
    error = assert_error(root.patch(url, json={"name": "Globex Inc"}, headers={"If-Match": '"1"'}), 409, "conflict")
    assert error["details"] == {"current_version": 2}
    assert root.get(url).get_json()["name"] == "Globex Corp"


def test_a_patch_without_any_version_is_refused(api, world):
    response = api("admin").patch(f"/api/v1/organizations/{world.globex.id}", json={"name": "X"})
    assert_error(response, 428, "precondition_required")
    bad = api("admin").patch(
        f"/api/v1/organizations/{world.globex.id}", json={"name": "X"}, headers={"If-Match": "yesterday"}
    )
    assert_error(bad, 422, "validation_error")


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/v1/sites/{site}", {"version": 1, "timezone": "Mars/Olympus"}, 422, "rule_violation"),
        ("/api/v1/sites/{site}", {"version": 1, "nickname": "x"}, 422, "validation_error"),
        ("/api/v1/organizations/{org}", {"version": 1, "name": ""}, 422, "validation_error"),
        ("/api/v1/organizations/{org}", {"version": 1, "name": "Acme"}, 409, "conflict"),
        ("/api/v1/contracts/{contract}", {"version": 1, "ends_on": "2020-01-01"}, 422, "rule_violation"),
        ("/api/v1/contracts/{contract}", {"version": 1, "plan_code": "NOPE"}, 422, "rule_violation"),
        ("/api/v1/plans/{plan}", {"version": 1, "targets": {"1": {"first_response": 5}}}, 422, "validation_error"),
        (
            "/api/v1/plans/{plan}",
            {"version": 1, "targets": {s: {"first_response": 90, "next_update": 9, "resolution": 60} for s in "1234"}},
            422,
            "rule_violation",
        ),
        ("/api/v1/products/{product}", {"version": 1, "compatible_parts": ["NOPE-9"]}, 422, "rule_violation"),
        ("/api/v1/parts/999999", {"version": 1, "kind": "ssd"}, 404, "not_found"),
        ("/api/v1/contracts/999999", {"version": 1}, 404, "not_found"),
    ],
)
def test_bad_edits_answer_the_error_envelope_and_change_nothing(api, world, session, path, body, status, code):
    ids = {
        "site": world.acme.sites[0].id,
        "org": world.globex.id,
        "contract": _contract(session, "C-GLOBEX").id,
        "plan": world.standard.id,
        "product": world.acme_asset.product.id,
    }
    assert_error(api("admin").patch(path.format(**ids), json=body), status, code)
    assert session.scalar(select(AuditEntry.id)) is None


def test_parts_products_and_plans_are_edited_with_their_own_fields(api, world):
    root = api("admin")
    part_id = world.acme_asset.components[0].part.id
    part = root.patch(f"/api/v1/parts/{part_id}", json={"version": 1, "data_bearing": False, "kind": "SSD"})
    assert (part.get_json()["data_bearing"], part.get_json()["kind"]) == (False, "ssd")
    product_id = world.acme_asset.product.id
    product = root.patch(
        f"/api/v1/products/{product_id}",
        json={"version": 1, "end_of_support_on": "2030-06-30", "compatible_parts": ["DRV-1"]},
    )
    assert product.get_json()["end_of_support_on"] == "2030-06-30" and product.get_json()["compatible_parts"] == [
        "DRV-1"
    ]
    plan = root.patch(
        f"/api/v1/plans/{world.standard.id}",
        json={"version": 1, "keep_your_drive": True, "included": "Parts and labour", "not_included": "Consumables"},
    )
    assert plan.status_code == 200 and "Keep-your-drive" in plan.get_json()["entitlements"]
    assert (plan.get_json()["included"], plan.get_json()["not_included"]) == ("Parts and labour", "Consumables")


def test_the_customer_reads_their_contracts_with_the_plans_terms_and_nobody_elses(api, world, session):
    root = api("admin")
    root.patch(
        f"/api/v1/plans/{world.premium.id}", json={"version": 1, "included": "4-hour parts", "not_included": "Racking"}
    )
    acme = api("acme_admin")
    listed = acme.get("/api/v1/contracts")
    assert listed.status_code == 200 and [c["number"] for c in listed.get_json()] == ["C-ACME"]
    terms = listed.get_json()[0]["plan_details"]
    assert (terms["included"], terms["not_included"], terms["coverage_hours"]) == ("4-hour parts", "Racking", "24x7")
    assert acme.get(f"/api/v1/contracts/{_contract(session, 'C-ACME').id}").status_code == 200
    assert_error(acme.get(f"/api/v1/contracts/{_contract(session, 'C-GLOBEX').id}"), 404, "not_found")
    assert_error(
        acme.patch(f"/api/v1/contracts/{_contract(session, 'C-ACME').id}", json={"version": 1}), 403, "forbidden"
    )
    coverage = acme.get("/api/v1/assets?serial=ACME-001").get_json()[0]["coverage"]
    assert (coverage["included"], coverage["not_included"]) == ("4-hour parts", "Racking")
    assert [c["number"] for c in api("account").get("/api/v1/contracts").get_json()] == ["C-ACME"]
    assert len(root.get("/api/v1/contracts").get_json()) == 3


def test_account_managers_are_listed_assigned_and_unassigned(api, world, session):
    root = api("admin")
    url = f"/api/v1/organizations/{world.globex.id}/account-managers"
    am = world.user("account")
    assert root.get(url).get_json() == []
    assigned = root.post(url, json={"email": am.email})
    assert assigned.status_code == 201 and assigned.get_json()["id"] == am.id
    assert [m["email"] for m in root.get(url).get_json()] == [am.email]
    assert [c["number"] for c in api("account").get("/api/v1/contracts").get_json()] == [
        "C-ACME",
        "C-GLOBEX",
        "C-GLOBEX-OLD",
    ]
    assert_error(root.post(url, json={"user_id": am.id}), 409, "conflict")
    assert_error(root.post(url, json={"user_id": world.user("engineer").id}), 422, "rule_violation")
    assert_error(root.post(url, json={}), 422, "validation_error")
    assert root.delete(f"{url}/{am.id}").status_code == 204
    assert_error(root.delete(f"{url}/{am.id}"), 404, "not_found")
    assert_error(root.get("/api/v1/organizations/999999/account-managers"), 404, "not_found")
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["assigned", "unassigned"]


@pytest.mark.parametrize("who", ["manager", "engineer", "account", "acme_admin"])
def test_set_up_reads_and_edits_are_for_administrators_only(api, world, session, who):
    client = api(who)
    site = world.acme.sites[0].id
    for method, url in [
        ("get", f"/api/v1/organizations/{world.acme.id}"),
        ("patch", f"/api/v1/organizations/{world.acme.id}"),
        ("get", f"/api/v1/sites/{site}"),
        ("patch", f"/api/v1/sites/{site}"),
        ("get", f"/api/v1/parts/{world.acme_asset.components[0].part.id}"),
        ("get", f"/api/v1/products/{world.acme_asset.product.id}"),
        ("patch", f"/api/v1/plans/{world.premium.id}"),
        ("get", f"/api/v1/organizations/{world.acme.id}/account-managers"),
        ("post", f"/api/v1/organizations/{world.acme.id}/account-managers"),
        ("delete", f"/api/v1/organizations/{world.acme.id}/account-managers/{world.user('account').id}"),
    ]:
        call = getattr(client, method)
        body = {"email": world.user("account").email} if method == "post" else {"version": 1}
        response = call(url) if method in ("get", "delete") else call(url, json=body)
        assert_error(response, 403, "forbidden")
    assert session.scalar(select(AuditEntry.id)) is None


def test_the_openapi_document_lists_every_set_up_route(api):
    paths = api("admin").get("/api/v1/openapi.json").get_json()["paths"]
    for path, methods in {
        "/api/v1/organizations/{org_id}": {"get", "patch"},
        "/api/v1/sites/{site_id}": {"get", "patch"},
        "/api/v1/parts/{part_id}": {"get", "patch"},
        "/api/v1/products/{product_id}": {"get", "patch"},
        "/api/v1/plans/{plan_id}": {"get", "patch"},
        "/api/v1/contracts/{contract_id}": {"get", "patch"},
        "/api/v1/organizations/{org_id}/account-managers": {"get", "post"},
        "/api/v1/organizations/{org_id}/account-managers/{user_id}": {"delete"},
    }.items():
        assert methods <= set(paths[path]), path
    assert "version" in paths["/api/v1/sites/{site_id}"]["patch"]["requestBody"]["content"]["application/json"][
        "schema"
    ].get("properties", {}) or "$ref" in str(paths["/api/v1/sites/{site_id}"]["patch"]["requestBody"])
