"""A change that does not say which version it was made from (missing, or not a whole
number) is refused like a stale one and changes nothing: web forms, the queue's bulk
selection and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from casemgr.assets.models import Component
from casemgr.cases.models import Case
from casemgr.queue.bulk_actions import parse_selection
from casemgr.versions import if_match_version, parse_version
from rma import services as rma_services
from rma.models import Rma
from tests.integration.test_rma_lifecycle import open_case as open_rma_case
from tests.web.test_api import assert_error, new_case
from tests.web.test_case_pages import case_number, open_case

MANAGER = "mgr@vendor.example.com"
MALFORMED = ["abc", "1e3", "1.0", " 1", "-1", "0", "٣", "99999999999", ""]


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def number(world, web) -> str:
    return case_number(open_case(web("admin@acme.example.com"), severity="3"))


def current(session, number: str) -> Case:
    session.expire_all()
    return session.scalar(select(Case).where(Case.number == number))


@pytest.mark.parametrize("version", [*MALFORMED, None])
def test_a_severity_change_without_a_whole_version_is_refused_and_keeps_the_form(session, web, number, version):
    form = {"severity": "1", "reason": "production stopped"} | ({} if version is None else {"version": version})
    response = web(MANAGER).post(f"/cases/{number}/severity", form)
    text = page_text(response)
    assert response.status_code == 400
    assert "This form is out of date; reload the case and try again." in text
    assert 'value="production stopped"' in text  # what was typed is still there
    case = current(session, number)
    assert (case.severity, case.version) == (3, 1)


def test_a_status_change_with_a_malformed_version_is_refused(session, web, number):
    for version in ("abc", "1e3"):
        response = web(MANAGER).post(f"/cases/{number}/status", {"status": "resolved", "version": version})
        assert response.status_code == 400 and "This form is out of date" in page_text(response)
    assert current(session, number).status == "new"
    stale = web(MANAGER).post(f"/cases/{number}/status", {"status": "resolved", "version": "7"})
    assert stale.status_code == 409
    done = web(MANAGER).post(f"/cases/{number}/status", {"status": "resolved", "version": "1"})
    assert done.status_code == 302 and current(session, number).status == "resolved"


def test_the_other_case_forms_refuse_a_malformed_version(session, world, web, number):
    manager = web(MANAGER)
    owner = manager.post(f"/cases/{number}/owner", {"owner_id": world.user("engineer").id, "version": "1e3"})
    close = manager.post(f"/cases/{number}/close", {"reason": "resolved", "version": "abc"})
    tier = manager.post(f"/cases/{number}/tier", {"tier": "L2", "version": "abc"})
    assert (owner.status_code, close.status_code, tier.status_code) == (400, 400, 422)
    for response in (owner, close, tier):
        assert "This form is out of date; reload the case" in page_text(response)
    case = current(session, number)
    assert (case.owner_id, case.status, case.queue, case.version) == (None, "new", "L1", 1)


def test_a_bulk_row_with_a_malformed_version_is_refused_as_out_of_date(session, web, number):
    assert [s.bad_version for s in parse_selection([f"{number}:abc", "CS-000002:", "CS-000003:4"])] == [
        True,
        True,
        False,
    ]
    response = web(MANAGER).post(
        "/queue/bulk", {"case": f"{number}:1e3", "action": "tier", "tier_value": "L2"}, follow_redirects=True
    )
    assert f"{number} not changed: This form is out of date" in page_text(response)
    assert current(session, number).queue == "L1"


@pytest.fixture
def mistaken(session, world, clock):
    """An RMA that marked bay 2 failed: a support manager may correct the mark."""
    case, bay2 = open_rma_case(session, world, clock, slot="bay 2")
    engineer = world.user("engineer")
    return rma_services.open_rma(
        session, engineer, case, component_id=bay2.id, kind="advance_replacement", now=clock.now(), problem="Fan"
    )


@pytest.mark.parametrize("version", ["zz", "1e3", None])
def test_an_rma_correction_with_a_malformed_version_is_refused_and_keeps_the_reason(session, web, mistaken, version):
    form = {"reason": "chosen by mistake"} | ({} if version is None else {"version": version})
    response = web(MANAGER).post(f"/rmas/{mistaken.number}/correct", form)
    text = page_text(response)
    assert response.status_code == 422
    assert "This form is out of date; reload the RMA and try again." in text
    assert 'value="chosen by mistake"' in text
    session.expire_all()
    assert session.get(Rma, mistaken.id).state == "approved"
    assert session.get(Component, mistaken.failed_component_id).state == "failed"


@pytest.mark.parametrize("version", ["1", 1.5, 1.0, 1e3, True, None, 0, 2**31])
def test_the_api_refuses_a_version_that_is_not_a_json_whole_number(api, session, version):
    client = api("engineer")
    number = new_case(api("acme_admin")).get_json()["number"]
    body = {"severity": 1, "version": version}
    error = assert_error(client.post(f"/api/v1/cases/{number}/severity", json=body), 422, "validation_error")
    assert "version" in error["details"]["json"]
    assert client.get(f"/api/v1/cases/{number}").get_json()["severity"] == 2
    assert client.post(f"/api/v1/cases/{number}/severity", json={"severity": 1, "version": 1}).status_code == 200


def test_an_rma_move_through_the_api_refuses_a_fractional_version(api, session, mistaken):
    engineer = api("engineer")
    url = f"/api/v1/rmas/{mistaken.number}"
    body = {"to": "shipped", "carrier": "UPS", "tracking": "1Z", "version": mistaken.version + 0.5}
    assert_error(engineer.post(f"{url}/transitions", json=body), 422, "validation_error")
    assert engineer.get(url).get_json()["state"] == "approved"


def test_versions_are_read_strictly():
    assert [parse_version(v) for v in ("1", "42", 7, "2147483647")] == [1, 42, 7, 2**31 - 1]
    assert [parse_version(v) for v in [*MALFORMED, None, True, 1.0, "2147483648"]] == [None] * (len(MALFORMED) + 4)
    assert [if_match_version(h) for h in ('"3"', 'W/"3"', "3", ' "3" ')] == [3, 3, 3, 3]
    assert [if_match_version(h) for h in ('"٣"', '"abc"', '"0"', "")] == [None] * 4
