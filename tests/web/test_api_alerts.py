"""Alertmanager (v4) and simple-form alerts: one case per fingerprint, never dropped."""

from __future__ import annotations

from sqlalchemy import func, select

from casemgr.cases.models import Case, CaseEvent
from tests.web.test_api import assert_error


def alertmanager(status: str, serial: str = "ACME-001", fingerprint: str = "a1b2c3") -> dict:
    return {
        "version": "4",
        "status": status,
        "receiver": "casemgr",
        "groupKey": '{}:{alertname="DiskFailed"}',
        "alerts": [
            {
                "status": status,
                "fingerprint": fingerprint,
                "startsAt": "2026-11-02T08:59:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "labels": {"alertname": "DiskFailed", "serial": serial, "severity": "critical"},
                "annotations": {"summary": "Disk failed in bay 3", "description": "SMART failure on bay 3"},
            }
        ],
    }


def test_firing_then_repeated_then_resolved_is_one_case(api, session, world):
    monitor = api("acme_user")
    first = monitor.post("/api/v1/alerts", json=alertmanager("firing"))
    assert first.status_code == 202
    [result] = first.get_json()["results"]
    assert result["action"] == "opened"
    for _ in range(3):
        again = monitor.post("/api/v1/alerts", json=alertmanager("firing")).get_json()["results"][0]
        assert (again["case_number"], again["action"]) == (result["case_number"], "updated")
    resolved = monitor.post("/api/v1/alerts", json=alertmanager("resolved")).get_json()["results"][0]
    assert resolved["action"] == "resolved"
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    case = session.scalar(select(Case))
    assert (case.severity, case.asset_id, case.channel) == (1, world.acme_asset.id, "monitoring")
    notes = session.scalars(select(CaseEvent.body).where(CaseEvent.kind == "alert")).all()
    assert len(notes) == 1 and "resolved" in notes[0], "repeated deliveries add nothing; resolution adds a note"


def test_an_unknown_serial_goes_to_triage_and_is_never_dropped(api, session):
    result = api("acme_user").post("/api/v1/alerts", json=alertmanager("firing", serial="NOPE-9")).get_json()
    assert result["results"][0]["action"] == "triage"
    case = session.scalar(select(Case))
    assert case.asset_id is None and "Unknown serial NOPE-9" in case.description


def test_another_organisations_serial_is_not_attached_to_their_asset(api, session, world):
    api("globex_admin").post("/api/v1/alerts", json=alertmanager("firing", serial="ACME-001"))
    case = session.scalar(select(Case))
    assert case.organization_id == world.globex.id and case.asset_id is None


def test_the_simple_form_and_bad_payloads(api, session):
    ok = api("acme_user").post(
        "/api/v1/alerts", json={"serial": "ACME-001", "summary": "PSU 1 lost input", "severity": "warning"}
    )
    assert ok.status_code == 202 and ok.get_json()["results"][0]["action"] == "opened"
    assert session.scalar(select(Case.severity)) == 3
    assert_error(api("acme_user").post("/api/v1/alerts", json={"status": "firing"}), 422, "validation_error")
    assert_error(api("acme_user").post("/api/v1/alerts", json={"alerts": []}), 422, "validation_error")
    assert_error(api(None).post("/api/v1/alerts", json={"summary": "x"}), 401, "unauthorized")
