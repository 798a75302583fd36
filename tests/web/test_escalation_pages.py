"""Escalation pages through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casemgr.cases.models import Case, Commitment
from escalation.defaults import seed_default_ladders
from escalation.models import EscalationStep
from tests.web.test_case_pages import case_number, open_case

ACME, ENGINEER, MANAGER = "admin@acme.example.com", "eng@vendor.example.com", "mgr@vendor.example.com"


@pytest.fixture
def ladders(world, session):
    seed_default_ladders(session)


def version_of(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def test_the_case_page_shows_the_clocks_and_the_path_to_the_customer(world, web, ladders, clock):
    admin = web(ACME)
    number = case_number(open_case(admin, severity="1"))
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    assert "First response" in page and "30 min left" in page
    assert "If nothing changes by <strong>2026-11-02 04:15 EST</strong>, the case owner is reminded" in page
    assert "the case moves to L2 engineering" in page and "the duty manager is paged" in page
    clock.advance(timedelta(minutes=40))
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    assert "breached by 10 min" in page


def test_waiting_on_the_customer_shows_paused_clocks(world, web, ladders):
    number = case_number(open_case(web(ACME), severity="2"))
    engineer = web(ENGINEER)
    version = version_of(engineer.get(f"/cases/{number}").get_data(as_text=True))
    engineer.post(f"/cases/{number}/status", data={"status": "waiting_customer", "version": version})
    page = web(ACME).get(f"/cases/{number}").get_data(as_text=True)
    assert page.count(">paused<") == 2 and "Paused while we wait for your answer." in page


def test_the_customer_admin_requests_escalation_once_per_interval(world, web, ladders, session):
    admin = web(ACME)
    number = case_number(open_case(admin, severity="3"))
    first = admin.post(f"/cases/{number}/escalation-request", data={"reason": "Line 3 stopped"}, follow_redirects=True)
    assert "Escalation requested" in first.get_data(as_text=True)
    second = admin.post(f"/cases/{number}/escalation-request", data={"reason": "Again"}, follow_redirects=True)
    assert "you can ask again in 60 minutes" in second.get_data(as_text=True)
    empty = admin.post(f"/cases/{number}/escalation-request", data={"reason": ""}, follow_redirects=True)
    assert "Tell us why" in empty.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Case.escalation_level).where(Case.number == number)) == 1
    assert (
        web("user@acme.example.com").post(f"/cases/{number}/escalation-request", data={"reason": "x"}).status_code
        == 403
    )
    assert (
        web("admin@globex.example.com").post(f"/cases/{number}/escalation-request", data={"reason": "x"}).status_code
        == 404
    )


def test_an_engineer_records_a_commitment_and_bad_input_is_explained(world, web, ladders, session):
    number = case_number(open_case(web(ACME)))
    engineer = web(ENGINEER)
    bad = engineer.post(
        f"/cases/{number}/commitments",
        data={
            "description": "Call back",
            "recipient": "Ana",
            "owner_id": world.user("engineer").id,
            "due_at": "2026-11-01T10:00",
        },
    )
    assert bad.status_code == 422 and "The due time must be in the future." in bad.get_data(as_text=True)
    missing = engineer.post(
        f"/cases/{number}/commitments",
        data={"description": "", "recipient": "Ana", "owner_id": world.user("engineer").id, "due_at": "soon"},
    )
    assert missing.status_code == 400 and "Not a valid datetime value." in missing.get_data(as_text=True)
    ok = engineer.post(
        f"/cases/{number}/commitments",
        data={
            "description": "Call back with the analysis",
            "recipient": "Ana, by phone",
            "owner_id": world.user("engineer").id,
            "due_at": "2026-11-02T15:00",
        },
    )
    assert ok.status_code == 302
    page = web(ACME).get(f"/cases/{number}").get_data(as_text=True)
    assert "Call back with the analysis" in page and "Mark kept" not in page
    commitment_id = session.scalar(select(Commitment.id))
    assert engineer.post(f"/cases/{number}/commitments/{commitment_id}/kept").status_code == 302
    assert session.scalar(select(Commitment.status)) == "kept"
    assert web(ACME).post(f"/cases/{number}/commitments/{commitment_id}/kept").status_code == 403


def test_only_managers_edit_ladders_and_bad_steps_are_refused(world, web, ladders, session):
    assert web(ENGINEER).get("/admin/ladders").status_code == 403
    assert web(ACME).get("/admin/plans").status_code == 403
    manager = web(MANAGER)
    page = manager.get("/admin/ladders").get_data(as_text=True)
    assert "Page the duty manager" in page
    step = session.scalar(select(EscalationStep).where(EscalationStep.name == "Page L2 on call"))
    refused = manager.post(
        f"/admin/ladders/{step.ladder_id}/steps/{step.id}",
        follow_redirects=True,
        data={
            "name": "Page L2",
            "condition": "not_acknowledged",
            "offset_minutes": "10",
            "offset_percent": "50",
            "action": "move_tier",
            "target": "L2",
        },
    )
    assert "either an offset in minutes or a percentage" in refused.get_data(as_text=True)
    refused = manager.post(
        f"/admin/ladders/{step.ladder_id}/steps/{step.id}",
        follow_redirects=True,
        data={
            "name": "Page L2",
            "condition": "not_acknowledged",
            "offset_percent": "50",
            "action": "move_tier",
            "target": "L9",
        },
    )
    assert "A tier move needs one of L1, L2, L3." in refused.get_data(as_text=True)
    notify = {"name": "Tell someone", "condition": "not_acknowledged", "offset_percent": "50", "action": "notify"}
    url = f"/admin/ladders/{step.ladder_id}/steps/{step.id}"
    for target, message in (
        ("user:nobody@nowhere", "names no active vendor user"),
        ("user:admin@acme.example.com", "names no active vendor user"),  # a customer: never paged by a ladder
        ("role:wizard", "names no vendor role"),
        ("role:customer_admin", "names no vendor role"),  # every organisation's admins
    ):
        page = manager.post(url, follow_redirects=True, data={**notify, "target": target}).get_data(as_text=True)
        assert message in page, target
    session.expire_all()
    assert session.get(EscalationStep, step.id).name == "Page L2 on call"  # nothing was saved
    assert manager.post(url, data={**notify, "target": f"user:{MANAGER}"}).status_code == 302
    assert manager.post(url, data={**notify, "target": "role:support_manager"}).status_code == 302
    saved = manager.post(
        f"/admin/ladders/{step.ladder_id}/steps/{step.id}",
        data={
            "name": "Page L2 early",
            "condition": "not_acknowledged",
            "offset_percent": "80",
            "action": "move_tier",
            "target": "L2",
        },
    )
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(EscalationStep, step.id).offset_percent == 80


def test_plan_targets_are_validated_and_retime_open_cases(world, web, ladders, session):
    number = case_number(open_case(web(ACME), severity="1"))
    manager = web(MANAGER)
    form = {
        f"{s}-{c}-{unit}": value
        for s in range(1, 5)
        for c, h, m in (("first_response", "1", ""), ("next_update", "1", "30"), ("resolution", "8", "0"))
        for unit, value in (("h", h), ("m", m))
    }
    page = manager.get("/admin/plans").get_data(as_text=True)
    assert 'name="1-first_response-h" value="0"' in page and 'name="1-first_response-m" value="30"' in page
    bad = manager.post("/admin/plans", data={**form, "plan_id": str(world.premium.id), "1-resolution-h": "ten"})
    assert bad.status_code == 400 and "whole hours and minutes" in bad.get_data(as_text=True)
    minutes = manager.post("/admin/plans", data={**form, "plan_id": str(world.premium.id), "1-resolution-m": "75"})
    assert minutes.status_code == 400
    worse = manager.post("/admin/plans", data={**form, "plan_id": str(world.premium.id), "1-first_response-h": "15"})
    assert worse.status_code == 422 and "first response cannot be later than resolution" in worse.get_data(as_text=True)
    assert manager.post("/admin/plans", data={**form, "plan_id": str(world.premium.id)}).status_code == 302
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == number))
    assert case.first_response_due_at - case.created_at == timedelta(minutes=60)


def test_notifications_page_lists_the_users_own_messages(world, web, ladders, app):
    admin = web(ACME)
    number = case_number(open_case(admin, severity="3"))
    admin.post(f"/cases/{number}/escalation-request", data={"reason": "Urgent now"})
    manager = web(MANAGER)
    page = manager.get("/notifications/").get_data(as_text=True)
    assert "Customer requested escalation" in page and '<span class="count">1</span>' in page
    manager.post("/notifications/read")
    assert '<span class="count">' not in manager.get("/notifications/").get_data(as_text=True)
    assert "Customer requested escalation" not in web(ENGINEER).get("/notifications/").get_data(as_text=True)
