"""RMA operations of the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.assets.models import Component, QuarantinedSerial
from tests.web.test_api import assert_error, new_case


def open_rma(api, **overrides):
    number = new_case(api("acme_admin")).get_json()["number"]
    body = {
        "case_number": number,
        "component_serial": "ACME-001-D2",
        "kind": "advance_replacement",
        "problem": "bay 2 reports media errors",
    }
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
    shipped = engineer.post(
        f"{url}/shipments", json={"direction": "out", "carrier": "UPS", "tracking": "1Z999", "version": rma["version"]}
    )
    assert shipped.status_code == 201 and shipped.get_json()["state"] == "shipped"
    stale = engineer.post(f"{url}/transitions", json={"to": "delivered", "version": rma["version"]})
    assert_error(stale, 409, "conflict")
    delivered = engineer.post(f"{url}/transitions", json={"to": "delivered", "version": shipped.get_json()["version"]})
    assert delivered.get_json()["state"] == "delivered"
    installed = engineer.post(
        f"{url}/transitions", json={"to": "installed", "serial": "NEW-D2", "version": delivered.get_json()["version"]}
    )
    assert installed.status_code == 200 and installed.get_json()["installed_serial"] == "NEW-D2"
    shipments = api("acme_admin").get(f"{url}/shipments").get_json()
    assert [(s["direction"], s["carrier"], s["tracking"]) for s in shipments] == [("out", "UPS", "1Z999")]


def test_the_quarantined_serial_cannot_come_back_through_an_rma_install(api):
    first = open_rma(api).get_json()
    engineer, url = api("engineer"), f"/api/v1/rmas/{first['number']}"
    version = first["version"]
    for step in ({"to": "shipped", "carrier": "UPS", "tracking": "1"}, {"to": "delivered"}):
        version = engineer.post(f"{url}/transitions", json={**step, "version": version}).get_json()["version"]
    error = assert_error(
        engineer.post(f"{url}/transitions", json={"to": "installed", "serial": "ACME-001-D2", "version": version}),
        422,
        "safety_guard",
    )
    assert error["details"][0]["rule"].startswith("SG-INSTALL")


def test_rmas_are_scoped_and_need_support_staff_to_open(api):
    rma = open_rma(api).get_json()
    assert_error(api("globex_admin").get(f"/api/v1/rmas/{rma['number']}"), 404, "not_found")
    assert api("acme_user").get(f"/api/v1/rmas/{rma['number']}").status_code == 200
    number = new_case(api("acme_admin")).get_json()["number"]
    assert_error(
        api("acme_admin").post(
            "/api/v1/rmas",
            json={
                "case_number": number,
                "component_serial": "ACME-001-D3",
                "kind": "advance_replacement",
                "problem": "x",
            },
        ),
        403,
        "forbidden",
    )
    assert_error(
        api("engineer").post(
            "/api/v1/rmas",
            json={"case_number": number, "component_serial": "NOPE", "kind": "advance_replacement", "problem": "x"},
        ),
        422,
        "rule_violation",
    )


# --- the problem is required; a mistaken failed mark can be corrected -----------------


def component_state(session, serial: str) -> str:
    session.expire_all()
    return session.scalar(select(Component.state).where(Component.serial == serial, Component.state != "removed"))


@pytest.mark.parametrize("problem", [None, "", "   "])
def test_opening_without_a_problem_is_a_rule_violation_and_marks_nothing(api, session, problem):
    number = new_case(api("acme_admin")).get_json()["number"]
    body = {"case_number": number, "component_serial": "ACME-001-D2", "kind": "advance_replacement"}
    if problem is not None:
        body["problem"] = problem
    error = assert_error(api("engineer").post("/api/v1/rmas", json=body), 422, "rule_violation")
    assert "Describe the problem" in error["message"]
    assert component_state(session, "ACME-001-D2") == "active"
    assert session.get(QuarantinedSerial, "ACME-001-D2") is None


def test_the_rma_states_its_problem_and_the_components_state(api):
    rma = open_rma(api).get_json()
    assert rma["problem"] == "bay 2 reports media errors" and rma["failed_component_state"] == "failed"
    assert rma["correction"] is None and rma["analysis"] is None


def test_a_manager_corrects_a_mistaken_failed_mark_through_the_api(api, session):
    rma = open_rma(api).get_json()
    url = f"/api/v1/rmas/{rma['number']}/correction"
    assert_error(api("engineer").post(url, json={"reason": "oops", "version": rma["version"]}), 403, "forbidden")
    assert_error(api("acme_admin").post(url, json={"reason": "oops", "version": rma["version"]}), 403, "forbidden")
    assert_error(api("globex_admin").post(url, json={"reason": "oops", "version": rma["version"]}), 404, "not_found")
    assert_error(api("manager").post(url, json={"version": rma["version"]}), 422, "validation_error")
    blank = assert_error(
        api("manager").post(url, json={"reason": "  ", "version": rma["version"]}), 422, "rule_violation"
    )
    assert "Say why" in blank["message"]
    assert_error(api("manager").post(url, json={"reason": "x", "version": rma["version"] + 5}), 409, "conflict")
    done = api("manager").post(
        url, json={"reason": "Fan noise case; bay 2 picked by mistake", "version": rma["version"]}
    )
    assert done.status_code == 200, done.get_json()
    out = done.get_json()
    assert out["state"] == "cancelled" and out["failed_component_state"] == "active"
    assert out["correction"]["by"] == "mgr@vendor.example.com"
    assert out["correction"]["reason"] == "Fan noise case; bay 2 picked by mistake"
    assert (
        out["correction"]["restored_state"],
        out["correction"]["rma_cancelled"],
        out["correction"]["quarantine_lifted"],
    ) == ("active", True, True)
    assert component_state(session, "ACME-001-D2") == "active"
    assert session.get(QuarantinedSerial, "ACME-001-D2") is None
    again = assert_error(
        api("manager").post(url, json={"reason": "again", "version": out["version"]}), 422, "rule_violation"
    )
    assert "already corrected" in again["message"]
    events = api("acme_admin").get(f"/api/v1/cases/{rma['case_number']}/events").get_json()["items"]
    assert "was marked failed by mistake" in events[-1]["body"]
    assert "Reason: Fan noise case; bay 2 picked by mistake" in events[-1]["body"]


def test_no_correction_once_the_replacement_shipped(api, session):
    rma = open_rma(api).get_json()
    shipped = (
        api("engineer")
        .post(
            f"/api/v1/rmas/{rma['number']}/shipments",
            json={"direction": "out", "carrier": "UPS", "tracking": "1Z", "version": rma["version"]},
        )
        .get_json()
    )
    error = assert_error(
        api("manager").post(
            f"/api/v1/rmas/{rma['number']}/correction", json={"reason": "oops", "version": shipped["version"]}
        ),
        422,
        "rule_violation",
    )
    assert "has shipped (the replacement)" in error["message"]
    assert component_state(session, "ACME-001-D2") == "failed"


# --- receiving another serial needs confirm_serial_mismatch --------------------------------


def test_receiving_another_serial_needs_an_explicit_confirmation(api):
    rma = open_rma(api).get_json()
    engineer, url = api("engineer"), f"/api/v1/rmas/{rma['number']}/transitions"
    version = rma["version"]
    for step in (
        {"to": "shipped", "carrier": "UPS", "tracking": "1"},
        {"to": "delivered"},
        {"to": "installed", "serial": "NEW-D2"},
    ):
        version = engineer.post(url, json={**step, "version": version}).get_json()["version"]
    refused = engineer.post(url, json={"to": "returned", "returned_serial": "acme-001-d3", "version": version})
    error = assert_error(refused, 422, "rule_violation")
    assert "SN ACME-001-D3, not SN ACME-001-D2" in error["message"]
    assert error["details"] == {
        "expected_serial": "ACME-001-D2",
        "returned_serial": "ACME-001-D3",
        "confirm_with": "confirm_serial_mismatch",
    }
    still = api("engineer").get(f"/api/v1/rmas/{rma['number']}").get_json()
    assert still["state"] == "return_pending" and still["version"] == version and still["analysis"] is None
    accepted = engineer.post(
        url,
        json={"to": "returned", "returned_serial": "acme-001-d3", "confirm_serial_mismatch": True, "version": version},
    )
    assert accepted.status_code == 200, accepted.get_json()
    analysis = accepted.get_json()["analysis"]
    assert (analysis["expected_serial"], analysis["returned_serial"], analysis["serial_matches"]) == (
        "ACME-001-D2",
        "ACME-001-D3",
        False,
    )


def test_the_openapi_documents_the_correction_and_the_confirmation(api):
    spec = api("engineer").get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/rmas/{number}/correction"]["post"]
    assert "support managers" in post["summary"] and "shipped nothing" in post["description"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = spec["components"]["schemas"][ref]
    assert set(schema["required"]) == {"reason", "version"}
    transition = spec["components"]["schemas"]["TransitionIn"]["properties"]
    assert transition["confirm_serial_mismatch"]["type"] == "boolean"
    assert "required" in spec["components"]["schemas"]["RmaCreate"]["properties"]["problem"]["description"]
