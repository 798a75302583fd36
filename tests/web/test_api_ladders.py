"""/api/v1/ladders: the ladders page's edits through the API, same validation and audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casemgr.audit import AuditEntry
from escalation.models import EscalationLadder, EscalationStep
from tests.web.test_api import assert_error

NOTIFY = {"name": "Tell the boss", "condition": "not_resolved", "offset_minutes": 90, "action": "notify"}


def sev1(session) -> EscalationLadder:
    return session.scalar(select(EscalationLadder).where(EscalationLadder.severity == 1))


def patch(client, url, body):
    return client.client.patch(url, json=body, headers=client.headers)


def test_a_manager_lists_ladders_and_reads_one_with_its_steps(api, session):
    client = api("manager")
    listed = client.get("/api/v1/ladders").get_json()
    assert sorted(row["severity"] for row in listed) == [1, 2, 3, 4]
    ladder = sev1(session)
    one = client.get(f"/api/v1/ladders/{ladder.id}").get_json()
    assert [s["position"] for s in one["steps"]] == list(range(1, len(ladder.steps) + 1))
    assert {"condition", "action", "target", "version"} <= set(one["steps"][0])


def test_adding_a_step_checks_that_the_target_exists_and_audits_it(api, session, world):
    client, ladder = api("manager"), sev1(session)
    url = f"/api/v1/ladders/{ladder.id}/steps"
    count = session.scalar(select(func.count(EscalationStep.id)))
    for target, words in (
        ("user:nobody@nowhere", "names no active vendor user"),
        ("role:wizard", "names no vendor role"),
    ):
        error = assert_error(client.post(url, json={**NOTIFY, "target": target}), 422, "rule_violation")
        assert words in error["message"]
    assert_error(client.post(url, json={**NOTIFY, "target": "owner", "offset_percent": 50}), 422, "rule_violation")
    assert_error(client.post(url, json={**NOTIFY, "condition": "when_it_rains"}), 422, "validation_error")
    assert session.scalar(select(func.count(EscalationStep.id))) == count
    added = client.post(url, json={**NOTIFY, "target": "user:mgr@vendor.example.com"})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["position"] == len(ladder.steps) + 1
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "ladder.step_saved"))
    assert entry.actor_id == world.user("manager").id and entry.object_id == ladder.id
    assert "Tell the boss" in entry.summary


def test_changing_a_step_keeps_what_is_not_given_and_refuses_a_stale_version(api, session):
    client, ladder = api("admin"), sev1(session)
    step = ladder.steps[0]
    url = f"/api/v1/ladders/{ladder.id}/steps/{step.id}"
    changed = patch(client, url, {"version": step.version, "offset_minutes": 7, "name": "Sooner"})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["offset_minutes"] == 7 and body["offset_percent"] is None and body["name"] == "Sooner"
    assert body["action"] == step.action and body["version"] == step.version + 1
    assert_error(patch(client, url, {"version": step.version, "name": "Overwrite"}), 409, "conflict")
    bad = patch(client, url, {"version": body["version"], "action": "notify", "target": "user:nobody@nowhere"})
    assert_error(bad, 422, "rule_violation")
    session.expire_all()
    assert session.get(EscalationStep, step.id).name == "Sooner"


def test_a_step_of_another_ladder_or_an_unknown_ladder_is_a_404(api, session):
    client = api("manager")
    ladders = session.scalars(select(EscalationLadder).order_by(EscalationLadder.severity)).all()
    other_step = ladders[1].steps[0]
    url = f"/api/v1/ladders/{ladders[0].id}/steps/{other_step.id}"
    assert_error(patch(client, url, {"version": 1, "name": "x"}), 404, "not_found")
    assert_error(client.get("/api/v1/ladders/999999"), 404, "not_found")
    assert_error(client.post("/api/v1/ladders/999999/steps", json={**NOTIFY, "target": "owner"}), 404, "not_found")


@pytest.mark.parametrize("key", ["acme_admin", "engineer", "account", "field"])
def test_only_managers_and_admins_read_or_edit_ladders(api, session, key):
    client, ladder = api(key), sev1(session)
    assert_error(client.get("/api/v1/ladders"), 403, "forbidden")
    assert_error(client.get(f"/api/v1/ladders/{ladder.id}"), 403, "forbidden")
    assert_error(
        client.post(f"/api/v1/ladders/{ladder.id}/steps", json={**NOTIFY, "target": "owner"}), 403, "forbidden"
    )


def test_a_step_that_never_fired_can_be_deleted(api, session):
    client, ladder = api("manager"), sev1(session)
    added = client.post(f"/api/v1/ladders/{ladder.id}/steps", json={**NOTIFY, "target": "owner"}).get_json()
    gone = client.client.delete(f"/api/v1/ladders/{ladder.id}/steps/{added['id']}", headers=client.headers)
    assert gone.status_code == 204
    assert session.scalar(select(EscalationStep.id).where(EscalationStep.id == added["id"])) is None
    assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "ladder.step_deleted")) is not None


def test_the_openapi_document_describes_the_ladder_routes(app, api):
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/ladders"] and "get" in paths["/api/v1/ladders/{ladder_id}"]
    assert "post" in paths["/api/v1/ladders/{ladder_id}/steps"]
    assert {"patch", "delete"} <= set(paths["/api/v1/ladders/{ladder_id}/steps/{step_id}"])
