"""Setting up a deployment through the API alone, and installs through the API."""

from __future__ import annotations

import pytest

from casemgr.assets.services import mark_component
from tests.web.test_api import assert_error


def test_a_deployment_is_set_up_through_the_api_alone(api, app, clock):
    root = api("admin")
    org = root.post("/api/v1/organizations", json={"name": "Initech"})
    assert org.status_code == 201
    org_id = org.get_json()["id"]
    assert (
        root.post(
            f"/api/v1/organizations/{org_id}/sites",
            json={
                "name": "Austin DC",
                "timezone": "America/Chicago",
                "address": "1 Initech Way",
                "region": "us-central",
            },
        ).status_code
        == 201
    )
    assert (
        root.post(
            "/api/v1/parts",
            json={"part_number": "SSD-7T", "description": "7.68 TB SSD", "kind": "ssd", "data_bearing": True},
        ).status_code
        == 201
    )
    assert (
        root.post(
            "/api/v1/products", json={"model": "IX-1", "product_line": "InitArray", "compatible_parts": ["SSD-7T"]}
        ).status_code
        == 201
    )
    asset = root.post(
        "/api/v1/assets",
        json={
            "serial": "ix-0001",
            "product_model": "IX-1",
            "organization_id": org_id,
            "site": "Austin DC",
            "components": [{"slot": "bay 1", "part_number": "SSD-7T", "serial": "ssd-0001"}],
        },
    )
    assert asset.status_code == 201 and asset.get_json()["components"][0]["serial"] == "SSD-0001"
    plan = root.post(
        "/api/v1/plans",
        json={
            "code": "GOLD",
            "name": "Gold 8x5",
            "weekly_hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed")},
            "targets": {s: {"first_response": 60, "next_update": 120, "resolution": 480} for s in "1234"},
            "onsite": True,
        },
    )
    assert plan.status_code == 201 and "Mon-Wed 09:00-17:00" in plan.get_json()["coverage_hours"]
    assert (
        root.post(
            "/api/v1/contracts",
            json={
                "number": "C-INI-1",
                "organization_id": org_id,
                "plan_code": "GOLD",
                "starts_on": "2026-01-01",
                "ends_on": "2027-12-31",
                "asset_serials": ["IX-0001"],
            },
        ).status_code
        == 201
    )
    user = root.post(
        "/api/v1/users",
        json={
            "email": "ops@initech.example.com",
            "role": "customer_admin",
            "organization_id": org_id,
            "password": "a long enough secret",
        },
    )
    assert user.status_code == 201 and "password" not in user.get_json()
    token = app.test_cli_runner().invoke(args=["token", "create", "--user", "ops@initech.example.com"]).output.strip()
    case = app.test_client().post(
        "/api/v1/cases",
        headers={"Authorization": f"Bearer {token}"},
        json={"asset_serial": "IX-0001", "severity": 2, "subject": "Slow", "description": "Latency up"},
    )
    assert case.status_code == 201 and case.get_json()["entitled"] is True
    for path in ("organizations", "parts", "products", "plans", "contracts", "users"):
        assert root.get(f"/api/v1/{path}").status_code == 200


def test_administration_is_for_admins_and_refuses_duplicates_and_bad_input(api, world):
    assert_error(api("manager").post("/api/v1/organizations", json={"name": "X"}), 403, "forbidden")
    assert_error(api("acme_user").get("/api/v1/users"), 403, "forbidden")
    root = api("admin")
    assert_error(root.post("/api/v1/organizations", json={"name": "Acme"}), 409, "conflict")
    assert_error(root.post("/api/v1/organizations/999/sites", json={"name": "x", "timezone": "UTC"}), 404, "not_found")
    assert_error(
        root.post(f"/api/v1/organizations/{world.acme.id}/sites", json={"name": "x", "timezone": "Mars/Olympus"}),
        422,
        "rule_violation",
    )
    assert_error(root.post("/api/v1/plans", json={"code": "X", "name": "X", "targets": {}}), 422, "rule_violation")
    assert_error(
        root.post(
            "/api/v1/contracts",
            json={
                "number": "C",
                "organization_id": world.acme.id,
                "plan_code": "PREM",
                "starts_on": "2027-01-01",
                "ends_on": "2026-01-01",
            },
        ),
        422,
        "rule_violation",
    )
    assert_error(
        root.post(
            "/api/v1/users",
            json={
                "email": "admin@acme.example.com",
                "role": "customer_admin",
                "organization_id": world.acme.id,
                "password": "a long enough secret",
            },
        ),
        409,
        "conflict",
    )
    assert_error(
        root.post(
            "/api/v1/users",
            json={
                "email": "tiered@acme.example.com",
                "role": "customer_admin",
                "organization_id": world.acme.id,
                "password": "a long enough secret",
                "tier": "L2",
            },
        ),
        422,
        "rule_violation",
    )
    engineer = root.post(
        "/api/v1/users",
        json={
            "email": "l2@vendor.example.com",
            "role": "support_engineer",
            "password": "a long enough secret",
            "tier": "L2",
        },
    )
    assert engineer.status_code == 201 and engineer.get_json()["tier"] == "L2"


def test_installing_through_the_api_refuses_a_quarantined_serial(api, session, world):
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", world.acme_asset.created_at)
    engineer = api("engineer")
    ok = engineer.post(
        "/api/v1/assets/ACME-001/components/bay 2/install", json={"part_number": "DRV-1", "serial": "REPL-9"}
    )
    assert ok.status_code == 201
    assert "REPL-9" in [c["serial"] for c in ok.get_json()["components"]]
    error = assert_error(
        engineer.post(
            "/api/v1/assets/GLOBEX-001/components/bay 1/install", json={"part_number": "DRV-1", "serial": "ACME-001-D2"}
        ),
        422,
        "safety_guard",
    )
    assert error["details"][0]["rule"] == "SG-INSTALL-QUARANTINED"
    assert_error(
        api("globex_admin").post(
            "/api/v1/assets/ACME-001/components/bay 1/install", json={"part_number": "DRV-1", "serial": "Z"}
        ),
        404,
        "not_found",
    )


@pytest.mark.parametrize("flag", [0, 1, "yes", "false", None])
def test_a_boolean_field_takes_only_json_true_or_false(api, flag):
    body = {"part_number": "P-BOOL", "description": "x", "kind": "drive", "customer_replaceable": flag}
    response = api("admin").post("/api/v1/parts", json=body)
    assert response.status_code == 422 and "customer_replaceable" in str(response.get_json()["error"]["details"])
    body["customer_replaceable"] = True
    assert api("admin").post("/api/v1/parts", json=body).get_json()["customer_replaceable"] is True
