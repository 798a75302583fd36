"""The queue page, its saved views and bulk actions, the macros pages and the engineer's case page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casemgr.cases.models import Case, CaseEvent
from casemgr.queue import macros
from casemgr.queue.models import Macro, SavedView
from tests.factories import create_case

ENGINEER, MANAGER, CUSTOMER = "eng@vendor.example.com", "mgr@vendor.example.com", "admin@acme.example.com"
UNSAFE = "Please pull the failed drive and push it back in to see if it rebuilds."


def numbers(html: str) -> list[str]:
    return re.findall(r'class="mono">(CS-\d+)</a>', html)


@pytest.fixture
def three_cases(session, world, clock):
    """S1 due in 30 min, S2 in 60, S4 in 120 (Premium 24x7), all Acme's, opened now."""
    made = {
        s: create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"), severity=s, now=clock.now())
        for s in (4, 1, 2)
    }
    return made


def test_the_queue_lists_the_most_urgent_first_with_breach_and_risk_badges(world, web, three_cases, clock):
    clock.advance(timedelta(minutes=35))  # S1 breached; S2 at risk (its last hour); S4 on track (due in 85 min)
    html = web(ENGINEER).get("/cases/").get_data(as_text=True)
    assert numbers(html) == [three_cases[1].number, three_cases[2].number, three_cases[4].number]
    assert "Next deadline" in html and "First response" in html
    assert html.count('<span class="tag danger">breached</span>') == 1
    assert html.count('<span class="tag warn">at risk</span>') == 1


def test_the_filters_narrow_the_queue_to_breached_cases(world, web, three_cases, clock):
    clock.advance(timedelta(minutes=35))
    html = web(ENGINEER).get("/cases/?breached=1").get_data(as_text=True)
    assert numbers(html) == [three_cases[1].number]


def test_customers_never_see_the_queue_fields_or_another_organisation(session, world, web, three_cases, clock):
    globex = create_case(session, asset=world.globex_asset, opener=world.user("globex_admin"), now=clock.now())
    clock.advance(timedelta(minutes=35))
    page = web(CUSTOMER).get("/cases/?sort=due&breached=1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert globex.number not in html
    assert "Next deadline" not in html and "breached" not in html and "Save view" not in html
    assert sorted(numbers(html)) == sorted(c.number for c in three_cases.values())  # the flag is ignored


def test_a_saved_view_is_a_tab_for_its_owner_only_and_can_be_deleted(session, world, web, clock):
    engineer = web(ENGINEER)
    response = engineer.post("/queue/views", {"name": "Breached S1", "breached": "1", "severity": "1", "sort": "due"})
    assert response.status_code == 303
    view = session.scalar(select(SavedView).where(SavedView.name == "Breached S1"))
    assert view is not None and "breached=1" in view.query and "severity=1" in view.query
    assert "Breached S1" in engineer.get("/cases/").get_data(as_text=True)
    other = web("eng2@vendor.example.com")
    assert "Breached S1" not in other.get("/cases/").get_data(as_text=True)
    assert other.post(f"/queue/views/{view.id}/delete").status_code == 404
    assert engineer.post(f"/queue/views/{view.id}/delete").status_code == 303
    assert session.scalar(select(SavedView).where(SavedView.id == view.id)) is None


def test_a_saved_view_needs_a_name_and_the_csrf_token(session, world, web):
    engineer = web(ENGINEER)
    assert engineer.post("/queue/views", {"name": "No token"}, csrf=False).status_code == 400
    response = engineer.post("/queue/views", {"name": "  ", "breached": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the view a name." in html
    assert 'name="breached" value="1" checked' in html  # the filters as they were


def test_bulk_assign_from_the_queue_changes_each_case_and_names_refusals(session, world, web, three_cases):
    s1, s2 = three_cases[1], three_cases[2]
    engineer2 = world.user("engineer2")
    response = web(ENGINEER).post(
        "/queue/bulk",
        {
            "case": [f"{s1.number}:{s1.version}", f"{s2.number}:{s2.version + 1}"],
            "action": "owner",
            "owner_value": str(engineer2.id),
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert f"Owner changed on 1 case(s): {s1.number}." in html
    assert f"{s2.number} not changed:" in html and "changed by someone else" in html
    session.expire_all()
    assert session.get(Case, s1.id).owner_id == engineer2.id
    assert session.get(Case, s2.id).owner_id is None


def test_bulk_actions_are_for_support_staff_and_need_the_csrf_token(world, web, three_cases):
    s1 = three_cases[1]
    form = {"case": f"{s1.number}:{s1.version}", "action": "tier", "tier_value": "L2"}
    assert web(CUSTOMER).post("/queue/bulk", form).status_code == 403
    assert web(ENGINEER).post("/queue/bulk", form, csrf=False).status_code == 400


def test_bulk_on_another_organisations_case_is_refused_as_not_found(session, world, web, clock):
    """Vendor staff see every case; a number nobody has is reported, never guessed at."""
    response = web(ENGINEER).post(
        "/queue/bulk", {"case": "CS-999999:1", "action": "tier", "tier_value": "L2"}, follow_redirects=True
    )
    assert "CS-999999 not changed: No case CS-999999." in response.get_data(as_text=True)


def test_the_case_page_puts_the_controls_first_and_confirms_each_change(session, world, web, three_cases):
    case = three_cases[2]
    engineer = web(ENGINEER)
    html = engineer.get(f"/cases/{case.number}").get_data(as_text=True)
    assert html.index('aria-label="Work the case"') < html.index("<h2>Timeline</h2>")
    response = engineer.post(
        f"/cases/{case.number}/severity", {"severity": "1", "version": str(case.version)}, follow_redirects=True
    )
    assert "Severity changed to 1." in response.get_data(as_text=True)
    session.refresh(case)
    response = engineer.post(
        f"/cases/{case.number}/tier", {"tier": "L3", "version": str(case.version)}, follow_redirects=True
    )
    assert "Moved to the L3 queue." in response.get_data(as_text=True)
    session.refresh(case)
    assert case.queue == "L3"


def test_a_stale_tier_change_is_a_conflict_that_keeps_the_case(session, world, web, three_cases):
    case = three_cases[2]
    response = web(ENGINEER).post(f"/cases/{case.number}/tier", {"tier": "L2", "version": str(case.version + 1)})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)


def test_support_managers_keep_macros_and_the_guard_refuses_unsafe_ones(session, world, web):
    manager = web(MANAGER)
    assert manager.get("/admin/macros").status_code == 200
    refused = manager.post("/admin/macros", {"name": "Reseat", "body": UNSAFE})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "safety guard stopped this macro" in html and UNSAFE in html  # what was typed is kept
    unknown = manager.post("/admin/macros", {"name": "Ack", "body": "Hi {nickname}"})
    assert unknown.status_code == 422 and "Unknown placeholder: {nickname}" in unknown.get_data(as_text=True)
    ok = manager.post("/admin/macros", {"name": "Ack", "body": "Hello {customer_name}"}, follow_redirects=True)
    assert "Macro “Ack” saved." in ok.get_data(as_text=True)
    assert session.scalars(select(Macro.name)).all() == ["Ack"]


@pytest.mark.parametrize(("email", "status"), [(ENGINEER, 403), (CUSTOMER, 404)])
def test_only_support_managers_reach_the_macros_admin(world, web, email, status):
    assert web(email).get("/admin/macros").status_code == status


def test_a_macro_fills_the_reply_box_and_the_sent_text_goes_through_the_guard(session, world, web, three_cases, clock):
    case = three_cases[2]
    ack = macros.create_macro(
        session, world.user("manager"), name="Ack", body="Hello {customer_name}, about {case_number}.", now=clock.now()
    )
    html = web(ENGINEER).get(f"/cases/{case.number}?macro={ack.id}").get_data(as_text=True)
    assert f"Hello {world.user('acme_admin').name}, about {case.number}." in html
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    bay2.state = "failed"
    session.add(Macro(name="Legacy", body=UNSAFE, created_at=clock.now(), updated_at=clock.now()))
    session.commit()
    legacy = session.scalar(select(Macro).where(Macro.name == "Legacy"))
    engineer = web(ENGINEER)
    filled = engineer.get(f"/cases/{case.number}?macro={legacy.id}").get_data(as_text=True)
    assert "push it back in" in filled
    sent = engineer.post(f"/cases/{case.number}/reply", {"body": UNSAFE, "visibility": "public"})
    assert sent.status_code == 422
    comments = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "comment"))
    assert comments.all() == []


def test_a_bulk_action_with_nothing_selected_shows_the_queue_with_the_reason(world, web, three_cases):
    response = web(ENGINEER).post("/queue/bulk", {"action": "tier", "tier_value": "L2", "back": "status=open&sort=due"})
    assert response.status_code == 422
    assert "Select at least one case." in response.get_data(as_text=True)


def test_a_long_queue_says_how_many_at_least_and_still_pages_on(app, world, web, three_cases, monkeypatch):
    from casemgr.cases import queries

    monkeypatch.setattr(queries, "COUNT_BOUND", 2)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    engineer = web(ENGINEER)
    html = engineer.get("/cases/").get_data(as_text=True)
    assert "Page 1 of 2+ (2+ cases)" in html and "Next →" in html
    last = engineer.get("/cases/?page=3").get_data(as_text=True)
    assert "Page 3 of 3 (3 cases)" in last and "Next →" not in last
