"""What an RMA move through the API records: a note (or any step field) the move would not
keep is a 422 naming it, never silently dropped; a note the move keeps is read by the
safety guard and stored. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casemgr.cases.models import CaseEvent
from casemgr.safety.models import SafetyBlock
from rma import dispatch, services
from rma.models import Rma
from tests.integration.test_rma_lifecycle import open_case, step
from tests.integration.test_safety_paths import UNSAFE
from tests.web.test_api import assert_error


def timeline(session, rma: Rma) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(CaseEvent.body).where(CaseEvent.case_id == rma.case_id).order_by(CaseEvent.id)))


@pytest.fixture
def dispatched(session, world, clock) -> Rma:
    """An on-site RMA for bay 4 of ACME-001, dispatched to the field engineer."""
    case, bay4 = open_case(session, world, clock)
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="onsite_dispatch", now=clock.now(), problem="Bay 4 amber"
    )
    services.ship_replacement(session, eng, rma, carrier="FedEx", tracking="FX-1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    dispatch.schedule_dispatch(
        session,
        eng,
        rma,
        engineer_id=world.user("field").id,
        window_start=clock.now() + timedelta(hours=1),
        window_end=clock.now() + timedelta(hours=3),
        now=step(clock),
    )
    return rma


@pytest.fixture
def approved(session, world, clock) -> Rma:
    """An advance replacement for bay 2 of ACME-001 (Premium: approved at once); bay 2 is failed."""
    case, bay2 = open_case(session, world, clock, slot="bay 2")
    return services.open_rma(
        session,
        world.user("engineer"),
        case,
        component_id=bay2.id,
        kind="advance_replacement",
        now=clock.now(),
        problem="bay 2 media errors",
    )


def test_a_note_on_arrival_is_refused_not_thrown_away(api, session, dispatched):
    engineer, url = api("engineer"), f"/api/v1/rmas/{dispatched.number}"
    before = timeline(session, dispatched)
    body = {"to": "on_site", "version": dispatched.version, "note": "rack 12, loading dock B"}
    error = assert_error(engineer.post(f"{url}/transitions", json=body), 422, "validation_error")
    assert "note is not accepted for this move" in error["message"] and "'on_site'" in error["message"]
    assert list(error["details"]) == ["note"]
    assert timeline(session, dispatched) == before
    still = engineer.get(url).get_json()
    assert (still["state"], still["version"]) == ("dispatched", dispatched.version)
    arrived = engineer.post(f"{url}/transitions", json={"to": "on_site", "version": dispatched.version, "note": ""})
    assert arrived.status_code == 200 and arrived.get_json()["state"] == "on_site"


def test_other_step_fields_a_move_does_not_record_are_refused_by_name(api, session, approved):
    engineer, url = api("engineer"), f"/api/v1/rmas/{approved.number}/transitions"
    body = {"to": "shipped", "version": approved.version, "carrier": "UPS", "tracking": "1Z", "serial": "NEW-1"}
    error = assert_error(engineer.post(url, json=body), 422, "validation_error")
    assert "serial is not accepted for this move" in error["message"] and list(error["details"]) == ["serial"]
    shipped = engineer.post(url, json={**body, "serial": ""})
    assert shipped.status_code == 200
    version = shipped.get_json()["version"]
    delivered = engineer.post(url, json={"to": "delivered", "version": version}).get_json()
    install = {"to": "installed", "version": delivered["version"], "serial": "NEW-2", "note": "swapped"}
    error = assert_error(engineer.post(url, json=install), 422, "validation_error")
    assert "note is not accepted for this move" in error["message"]  # no field visit to keep it on
    session.expire_all()
    assert session.get(Rma, approved.id).state == "delivered"


def test_a_note_on_a_move_that_keeps_it_is_guarded_and_stored(api, session, approved):
    engineer, url = api("engineer"), f"/api/v1/rmas/{approved.number}/transitions"
    blocks = session.scalar(select(func.count()).select_from(SafetyBlock))
    unsafe = engineer.post(url, json={"to": "cancelled", "version": approved.version, "note": UNSAFE})
    assert_error(unsafe, 422, "safety_guard")
    assert session.scalar(select(func.count()).select_from(SafetyBlock)) == blocks + 1
    assert not any(UNSAFE in body for body in timeline(session, approved))
    note = "The customer found a spare drive on site."
    done = engineer.post(url, json={"to": "cancelled", "version": approved.version, "note": note})
    assert done.status_code == 200 and done.get_json()["state"] == "cancelled"
    assert any(body.endswith(note) for body in timeline(session, approved))


def test_an_installation_note_is_kept_on_the_field_visit(api, session, dispatched):
    engineer, url = api("engineer"), f"/api/v1/rmas/{dispatched.number}/transitions"
    version = engineer.post(url, json={"to": "on_site", "version": dispatched.version}).get_json()["version"]
    done = engineer.post(url, json={"to": "installed", "version": version, "serial": "NEW-4", "note": "fw 9.2"})
    assert done.status_code == 200, done.get_json()
    session.expire_all()
    assert "fw 9.2" in session.get(Rma, dispatched.id).current_dispatch.notes
