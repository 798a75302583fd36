"""POST /api/v1/cases/{n}/confirm: the customer confirms a resolution, with the page's rules."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.cases.models import Case, CaseEvent
from tests.web.test_api import assert_error, new_case


def _resolved(api) -> dict:
    case = new_case(api("acme_admin")).get_json()
    moved = api("engineer").post(
        f"/api/v1/cases/{case['number']}/status", json={"status": "resolved", "version": case["version"]}
    )
    assert moved.status_code == 200, moved.get_json()
    return moved.get_json()


def test_the_customer_confirms_a_resolved_case_and_it_closes(api, session):
    case = _resolved(api)
    confirmed = api("acme_user").post(f"/api/v1/cases/{case['number']}/confirm", json={"version": case["version"]})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "closed"
    stored = session.scalar(select(Case).where(Case.number == case["number"]))
    assert stored.status == "closed" and stored.close_reason == "confirmed"
    notes = session.scalars(select(CaseEvent.body).where(CaseEvent.case_id == stored.id)).all()
    assert any("Customer confirmed the resolution" in (n or "") for n in notes)


def test_a_case_that_is_not_resolved_cannot_be_confirmed(api):
    case = new_case(api("acme_admin")).get_json()
    error = assert_error(
        api("acme_admin").post(f"/api/v1/cases/{case['number']}/confirm", json={"version": case["version"]}),
        422,
        "rule_violation",
    )
    assert "resolved" in error["message"]


def test_a_stale_version_is_a_conflict_and_changes_nothing(api, session):
    case = _resolved(api)
    assert_error(
        api("acme_admin").post(f"/api/v1/cases/{case['number']}/confirm", json={"version": case["version"] - 1}),
        409,
        "conflict",
    )
    assert session.scalar(select(Case.status).where(Case.number == case["number"])) == "resolved"


def test_the_vendor_cannot_confirm_for_the_customer(api):
    case = _resolved(api)
    for key in ("engineer", "manager"):
        assert_error(
            api(key).post(f"/api/v1/cases/{case['number']}/confirm", json={"version": case["version"]}),
            403,
            "forbidden",
        )


def test_another_organisation_gets_404_and_bad_bodies_a_422(api):
    case = _resolved(api)
    url = f"/api/v1/cases/{case['number']}/confirm"
    assert_error(api("globex_admin").post(url, json={"version": case["version"]}), 404, "not_found")
    assert_error(api("acme_admin").post(url, json={}), 422, "validation_error")
    assert_error(api("acme_admin").post(url, json={"version": "x", "extra": 1}), 422, "validation_error")
