"""REST API v1 through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text

from casemgr.assets.services import mark_component
from casemgr.auth.models import ApiToken
from casemgr.auth.tokens import create_token
from casemgr.cases.models import Case, CaseEvent
from casemgr.registry import registry_of
from casemgr.safety.models import SafetyBlock
from tests.integration.test_safety_paths import UNSAFE


def new_case(client, **overrides):
    body = {"asset_serial": "ACME-001", "severity": 2, "subject": "Degraded", "description": "Bay 2 amber"}
    body.update(overrides)
    return client.post("/api/v1/cases", json=body)


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_every_call_needs_a_valid_token(api, world, session, clock):
    assert_error(api(None).get("/api/v1/cases"), 401, "unauthorized")
    client = api("acme_admin")
    client.headers["Authorization"] = "Bearer cm_not-a-real-token"
    assert_error(client.get("/api/v1/cases"), 401, "unauthorized")
    token, text = create_token(session, world.user("acme_admin"), "to revoke", clock.now())
    token.revoked_at = clock.now()
    session.commit()
    client.headers["Authorization"] = f"Bearer {text}"
    assert_error(client.get("/api/v1/cases"), 401, "unauthorized")
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert text not in stored and all(len(h) == 64 for h in stored)


@pytest.mark.parametrize("refusal", ["revoked", "inactive user"])
def test_a_write_call_with_a_dead_token_is_refused_and_writes_nothing(api, world, session, clock, refusal):
    token, text = create_token(session, world.user("acme_admin"), "dead", clock.now())
    if refusal == "revoked":
        token.revoked_at = clock.now()
    else:
        world.user("acme_admin").is_active_flag = False
    session.commit()
    client = api(None)
    client.headers["Authorization"] = f"Bearer {text}"
    assert_error(new_case(client), 401, "unauthorized")
    assert session.scalar(select(func.count(Case.id))) == 0


def test_token_use_is_recorded_at_most_once_a_minute(api, session, clock):
    client = api("acme_admin")
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "test"))

    def last_used():
        session.expire_all()
        return session.get(ApiToken, token_id).last_used_at

    assert last_used() is None
    assert new_case(client).status_code == 201
    first = clock.now()
    assert last_used() == first
    clock.advance(timedelta(seconds=50))
    assert new_case(client).status_code == 201 and client.get("/api/v1/cases").status_code == 200
    assert last_used() == first
    clock.advance(timedelta(seconds=11))
    assert client.get("/api/v1/cases").status_code == 200
    assert last_used() == clock.now()
    clock.advance(timedelta(seconds=61))
    assert new_case(client, subject="Later").status_code == 201
    assert last_used() == clock.now()


def test_opening_a_case_names_the_organisation_and_asset_and_starts_the_timeline(api, session):
    body = new_case(api("globex_admin"), asset_serial="GLOBEX-OLD").get_json()
    assert body["organization"] == session.scalar(select(Case).where(Case.number == body["number"])).organization.name
    assert body["asset_serial"] == "GLOBEX-OLD" and body["version"] == session.scalar(
        select(Case.version).where(Case.number == body["number"])
    )
    events = api("globex_admin").get(f"/api/v1/cases/{body['number']}/events").get_json()["items"]
    assert [e["kind"] for e in events][:2] == ["opened", "not_entitled"]


def test_opening_a_case_returns_number_sla_and_next_escalation(api, clock):
    response = new_case(api("acme_admin"), severity=1)
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"CS-\d{6}", body["number"]) and body["status"] == "new" and body["entitled"] is True
    assert body["sla"]["first_response_due_at"] == (clock.now() + timedelta(minutes=30)).isoformat()
    assert body["next_escalation"]["step"] == "Remind the owner"
    assert body["next_escalation"]["at"] == (clock.now() + timedelta(minutes=15)).isoformat()


def test_the_new_case_answer_reads_no_history_and_agrees_with_a_later_read(app, api, clock):
    """The POST answer computes the next escalation without reading the case's (empty)
    history; a GET, which reads it, must say the same."""
    client = api("acme_admin")
    new_case(client, severity=1)  # warm the ladder cache and the token lookup
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    engine = registry_of(app).db.write_session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        body = new_case(client, severity=1).get_json()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert not any("FROM case_event" in s or "FROM commitment" in s or "FROM escalation_firing" in s for s in reads)
    later = client.get(f"/api/v1/cases/{body['number']}").get_json()
    assert later["next_escalation"] == body["next_escalation"] and body["next_escalation"] is not None


def test_an_uncovered_asset_is_accepted_and_flagged(api):
    body = new_case(api("globex_admin"), asset_serial="GLOBEX-OLD").get_json()
    assert body["entitled"] is False


@pytest.mark.parametrize(
    "body,field",
    [
        ({"severity": 7}, "severity"),
        ({"subject": ""}, "subject"),
        ({"asset_serial": None}, "asset_serial"),
        ({"unexpected": 1}, "unexpected"),
        ({"severity": "high"}, "severity"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, body, field):
    error = assert_error(new_case(api("acme_admin"), **body), 422, "validation_error")
    assert field in str(error["details"])


def test_a_body_that_is_not_json_is_refused_cleanly(api):
    client = api("acme_admin")
    response = client.client.post(
        "/api/v1/cases", data="{not json", headers={**client.headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422) and "error" in response.get_json()


def test_another_organisations_objects_answer_404(api):
    number = new_case(api("acme_admin")).get_json()["number"]
    globex = api("globex_admin")
    for url in (f"/api/v1/cases/{number}", f"/api/v1/cases/{number}/events", "/api/v1/assets/ACME-001"):
        assert_error(globex.get(url), 404, "not_found")
    assert_error(globex.post(f"/api/v1/cases/{number}/comments", json={"body": "hi"}), 404, "not_found")
    assert_error(new_case(globex), 422, "rule_violation")
    assert number not in globex.get("/api/v1/cases?status=all").get_data(as_text=True)
    assert [a["serial"] for a in globex.get("/api/v1/assets").get_json()] == ["GLOBEX-001", "GLOBEX-OLD"]


def test_an_unsafe_reply_is_a_422_naming_rule_and_alternative(api, session, world):
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", world.acme_asset.created_at)
    number = new_case(api("acme_admin")).get_json()["number"]
    error = assert_error(
        api("engineer").post(f"/api/v1/cases/{number}/comments", json={"body": UNSAFE}), 422, "safety_guard"
    )
    assert error["details"][0]["rule"] == "SG-REINSERT-FAILED"
    assert "open an RMA" in error["details"][0]["safe_alternative"]
    ok = api("engineer").post(f"/api/v1/cases/{number}/comments", json={"body": "Shipping a replacement."})
    assert ok.status_code == 201 and ok.get_json()["public"] is True


def test_a_reply_only_the_second_opinion_refuses_is_refused_the_same_way(api, session, world):
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", world.acme_asset.created_at)
    number = new_case(api("acme_admin")).get_json()["number"]
    untaught = "Let the failed drive have a second chance in its bay."  # no rule knows this wording
    error = assert_error(
        api("engineer").post(f"/api/v1/cases/{number}/comments", json={"body": untaught}), 422, "safety_guard"
    )
    assert error["details"][0]["rule"] == "SG-REINSERT-FAILED" and error["details"][0]["safe_alternative"]
    case_id = session.scalar(select(Case.id).where(Case.number == number))
    block = session.scalars(select(SafetyBlock).where(SafetyBlock.case_id == case_id)).one()
    assert block.attempted == untaught and block.component_serial == bay2.serial
    audit = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "safety_block"))
    assert audit.one().data["by_model"] is True
    assert untaught not in api("acme_admin").get(f"/api/v1/cases/{number}/events").get_data(as_text=True)


def test_status_and_severity_need_the_current_version(api):
    case = new_case(api("acme_admin")).get_json()
    engineer = api("engineer")
    moved = engineer.post(
        f"/api/v1/cases/{case['number']}/status", json={"status": "in_progress", "version": case["version"]}
    )
    assert moved.status_code == 200 and moved.get_json()["status"] == "in_progress"
    stale = engineer.post(f"/api/v1/cases/{case['number']}/severity", json={"severity": 1, "version": case["version"]})
    assert_error(stale, 409, "conflict")
    fresh = engineer.post(
        f"/api/v1/cases/{case['number']}/severity", json={"severity": 1, "version": moved.get_json()["version"]}
    )
    assert fresh.status_code == 200 and fresh.get_json()["severity"] == 1
    assert_error(
        api("acme_admin").post(f"/api/v1/cases/{case['number']}/status", json={"status": "resolved", "version": 9}),
        403,
        "forbidden",
    )


def test_listing_pages_with_a_cursor_and_filters(api, clock):
    client = api("acme_admin")
    numbers = []
    for severity in (1, 2, 3):
        numbers.append(new_case(client, severity=severity).get_json()["number"])
        clock.advance(timedelta(minutes=1))
    first = client.get("/api/v1/cases?limit=2").get_json()
    assert [c["number"] for c in first["items"]] == numbers[::-1][:2] and first["next_cursor"]
    second = client.get(f"/api/v1/cases?limit=2&cursor={first['next_cursor']}").get_json()
    assert [c["number"] for c in second["items"]] == [numbers[0]] and second["next_cursor"] is None
    assert [c["number"] for c in client.get("/api/v1/cases?severity=2").get_json()["items"]] == [numbers[1]]
    assert_error(client.get("/api/v1/cases?cursor=garbage"), 400, "bad_request")


def test_events_commitments_and_escalation_requests(api, clock):
    number = new_case(api("acme_admin")).get_json()["number"]
    commitment = api("engineer").post(
        f"/api/v1/cases/{number}/commitments",
        json={"description": "Call back", "recipient": "Ana", "due_at": (clock.now() + timedelta(hours=2)).isoformat()},
    )
    assert commitment.status_code == 201 and commitment.get_json()["status"] == "open"
    naive = api("engineer").post(
        f"/api/v1/cases/{number}/commitments",
        json={"description": "Call back", "recipient": "Ana", "due_at": "2026-11-02T12:00:00"},
    )
    assert_error(naive, 422, "validation_error")
    raised = api("acme_admin").post(f"/api/v1/cases/{number}/escalation-requests", json={"reason": "Down again"})
    assert raised.status_code == 201 and raised.get_json()["escalation_level"] == 1
    assert_error(
        api("acme_admin").post(f"/api/v1/cases/{number}/escalation-requests", json={"reason": "x"}),
        422,
        "rule_violation",
    )
    kinds = [e["kind"] for e in api("acme_admin").get(f"/api/v1/cases/{number}/events").get_json()["items"]]
    assert kinds == ["opened", "commitment", "escalation_requested"]


def test_assets_with_components_and_coverage(api):
    body = api("acme_admin").get("/api/v1/assets/ACME-001").get_json()
    assert body["coverage"]["plan"] == "Premium 24x7 4h" and body["coverage"]["covered"] is True
    assert [c["slot"] for c in body["components"]] == ["bay 1", "bay 2", "bay 3", "bay 4", "PSU 1"]


def test_the_openapi_document_and_its_reference_page(app, web, world):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/cases/{number}/comments" in spec["paths"]
    assert "ErrorEnvelope" in spec["components"]["schemas"]
    page = web("admin@acme.example.com").get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/cases/{number}/escalation-requests" in page


def test_tokens_from_the_settings_page_are_shown_once_and_revocable(web, world, session, app):
    client = web("admin@acme.example.com")
    created = client.post("/settings/tokens", data={"name": "monitoring"})
    token = re.search(r'<code class="token">(cm_[^<]+)</code>', created.get_data(as_text=True)).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 200
    assert token not in client.get("/settings").get_data(as_text=True)
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "monitoring"))
    client.post(f"/settings/tokens/{token_id}/revoke")
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 401


def test_token_create_prints_the_token_alone(app, world):
    result = app.test_cli_runner().invoke(args=["token", "create", "--user", "eng@vendor.example.com"])
    assert result.exit_code == 0 and re.fullmatch(r"cm_[\w-]+\n", result.output)
    headers = {"Authorization": f"Bearer {result.output.strip()}"}
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 200
    bad = app.test_cli_runner().invoke(args=["token", "create", "--user", "nobody@example.com"])
    assert bad.exit_code == 1 and "No active user" in bad.output


def _terminate_other_sessions(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.begin() as conn:  # what a server restart does to every other session
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    engine.dispose()
    return dropped or 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no server connection to lose
@pytest.mark.commits  # another connection terminates the app's pooled ones
def test_a_connection_the_database_dropped_costs_no_request_with_the_default_pre_ping(api, app, db_url, clock):
    """Pooled connections are pinged at checkout (CASEMGR_DB_PRE_PING=1): a dead one is replaced."""
    client = api("acme_admin")
    assert client.get("/api/v1/cases").status_code == 200  # the pool now holds a live connection
    assert _terminate_other_sessions(db_url) >= 1
    again = new_case(client)
    assert again.status_code == 201, again.get_data(as_text=True)
    assert [c["number"] for c in client.get("/api/v1/cases").get_json()["items"]] == [again.get_json()["number"]]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.commits
def test_without_pre_ping_a_dropped_connection_fails_one_statement_as_a_retryable_503(db_url):
    """CASEMGR_DB_PRE_PING=0: the statement that meets the dead connection is an outage asking
    for an immediate retry (Retry-After 1), the pool is discarded and the next one goes through."""
    from sqlalchemy.exc import DBAPIError

    from casemgr.db import make_engine
    from casemgr.outage import database_unavailable

    engine = make_engine(db_url, pre_ping=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert _terminate_other_sessions(db_url) >= 1
        with pytest.raises(DBAPIError) as failed, engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        answer = database_unavailable(failed.value)
        assert answer is not None and answer[0] == "1" and "send the request again" in answer[1]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_status_closed_through_the_api_never_bypasses_the_handoff_rule(api, world, session):
    """An uncovered asset's case: `status: closed` is refused like any other vendor close."""
    number = new_case(api("globex_admin"), asset_serial="GLOBEX-OLD").get_json()["number"]
    engineer = api("engineer")
    version = engineer.get(f"/api/v1/cases/{number}").get_json()["version"]
    response = engineer.post(f"/api/v1/cases/{number}/status", json={"status": "closed", "version": version})
    error = assert_error(response, 422, "rule_violation")
    assert "not covered" in error["message"]
    assert engineer.get(f"/api/v1/cases/{number}").get_json()["status"] != "closed"


def test_closing_through_the_api_with_a_reason_and_a_handoff(api, world, session):
    number = new_case(api("acme_admin")).get_json()["number"]
    engineer = api("engineer")
    version = engineer.get(f"/api/v1/cases/{number}").get_json()["version"]
    url = f"/api/v1/cases/{number}/close"
    refused = engineer.post(url, json={"reason": "end_of_support", "version": version, "handoff_path": "Trade-in"})
    assert_error(refused, 422, "rule_violation")
    assert_error(engineer.post(url, json={"reason": "nonsense", "version": version}), 422, "validation_error")
    assert_error(api("acme_admin").post(url, json={"reason": "duplicate", "version": version}), 403, "forbidden")
    closed = engineer.post(
        url,
        json={
            "reason": "end_of_support",
            "version": version,
            "handoff_account_manager": world.user("account").email,
            "handoff_path": "Trade-in to SA-4800 with three years of Premium support",
        },
    )
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert closed.get_json()["status"] == "closed"
    kinds = [e["kind"] for e in engineer.get(f"/api/v1/cases/{number}/events").get_json()["items"]]
    assert "handoff" in kinds
    assert "/api/v1/cases/{number}/close" in api("engineer").get("/api/v1/openapi.json").get_json()["paths"]


def test_taking_and_assigning_ownership_through_the_api(api, world):
    number = new_case(api("acme_admin")).get_json()["number"]
    engineer = api("engineer")
    case = engineer.get(f"/api/v1/cases/{number}").get_json()
    taken = engineer.post(f"/api/v1/cases/{number}/owner", json={"version": case["version"]})
    assert taken.status_code == 200 and taken.get_json()["owner"] == world.user("engineer").email
    assert taken.get_json()["status"] == "in_progress"
    version = taken.get_json()["version"]
    url = f"/api/v1/cases/{number}/owner"
    for who in ("nobody@vendor.example.com", "admin@acme.example.com"):
        assert_error(engineer.post(url, json={"owner": who, "version": version}), 422, "rule_violation")
    assert_error(engineer.post(url, json={"version": version - 1}), 409, "conflict")
    assert_error(api("acme_admin").post(url, json={"version": version}), 403, "forbidden")
    other = world.user("engineer2").email
    handed = engineer.post(url, json={"owner": other, "version": version})
    assert handed.status_code == 200 and handed.get_json()["owner"] == other
