"""RMA operations of the API, on SQLite and PostgreSQL."""
from __future__ import annotations

from tests.web.test_api import assert_error, new_case


def open_rma(api, **overrides):
    number = new_case(api("acme_admin")).get_json()["number"]
    body = {"case_number": number, "component_serial": "ACME-001-D2", "kind": "advance_replacement"}
    body.update(overrides)
    return api("engineer").post("/api/v1/rmas", json=body)


def test_an_advance_replacement_through_the_api(api):
    created = open_rma(api)
    assert created.status_code == 201, created.get_json()
    rma = created.get_json()
    assert rma["state"] == "approved" and rma["failed_serial"] == "ACME-001-D2" and "shipped" in rma["allowed_next"]
    engineer = api("engineer")
    url = f"/api/v1/rmas/{rma['number']}"
    refused = engineer.post(f"{url}/transitions", json={"to": "installed", "version": rma["version"], "serial": "X"})
    error = assert_error(refused, 409, "conflict")
    assert "Allowed next" in error["message"] and "shipped" in error["details"]["allowed"]
    missing = engineer.post(f"{url}/transitions", json={"to": "shipped", "version": rma["version"]})
    assert_error(missing, 422, "validation_error")
    shipped = engineer.post(f"{url}/shipments", json={"direction": "out", "carrier": "UPS", "tracking": "1Z999",
                                                      "version": rma["version"]})
    assert shipped.status_code == 201 and shipped.get_json()["state"] == "shipped"
    stale = engineer.post(f"{url}/transitions", json={"to": "delivered", "version": rma["version"]})
    assert_error(stale, 409, "conflict")
    delivered = engineer.post(f"{url}/transitions", json={"to": "delivered", "version": shipped.get_json()["version"]})
    assert delivered.get_json()["state"] == "delivered"
    installed = engineer.post(f"{url}/transitions", json={"to": "installed", "serial": "NEW-D2",
                                                          "version": delivered.get_json()["version"]})
    assert installed.status_code == 200 and installed.get_json()["installed_serial"] == "NEW-D2"
    shipments = api("acme_admin").get(f"{url}/shipments").get_json()
    assert [(s["direction"], s["carrier"], s["tracking"]) for s in shipments] == [("out", "UPS", "1Z999")]


def test_the_quarantined_serial_cannot_come_back_through_an_rma_install(api):
    first = open_rma(api).get_json()
    engineer, url = api("engineer"), f"/api/v1/rmas/{first['number']}"
    version = first["version"]
    for step in ({"to": "shipped", "carrier": "UPS", "tracking": "1"}, {"to": "delivered"}):
        version = engineer.post(f"{url}/transitions", json={**step, "version": version}).get_json()["version"]
    error = assert_error(engineer.post(f"{url}/transitions", json={"to": "installed", "serial": "ACME-001-D2",
                                                                    "version": version}), 422, "safety_guard")
    assert error["details"][0]["rule"].startswith("SG-INSTALL")


def test_rmas_are_scoped_and_need_support_staff_to_open(api):
    rma = open_rma(api).get_json()
    assert_error(api("globex_admin").get(f"/api/v1/rmas/{rma['number']}"), 404, "not_found")
    assert api("acme_user").get(f"/api/v1/rmas/{rma['number']}").status_code == 200
    number = new_case(api("acme_admin")).get_json()["number"]
    assert_error(api("acme_admin").post("/api/v1/rmas", json={"case_number": number, "component_serial": "ACME-001-D3",
                                                              "kind": "advance_replacement"}), 403, "forbidden")
    assert_error(api("engineer").post("/api/v1/rmas", json={"case_number": number, "component_serial": "NOPE",
                                                            "kind": "advance_replacement"}), 422, "rule_violation")
