"""The queue on SQLite and PostgreSQL: the stored next deadline follows every clock change,
bulk actions go through the single actions' services, saved views, macros through the guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casemgr.cases import comments as case_comments
from casemgr.cases import opening as case_opening
from casemgr.cases import services
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.queries import QueueFilter, case_queue
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.queue import macros, saved_views
from casemgr.queue.bulk_actions import Selected, apply_bulk
from casemgr.queue.models import Macro
from casemgr.queue.tiers import change_tier
from casemgr.safety.models import SafetyBlock
from casemgr.safety.services import SafetyBlocked
from escalation.services import Settings, request_escalation

UNSAFE = "Please pull the failed drive and push it back in to see if it rebuilds."


def open_case(session, world, store, now, *, who="acme_admin", serial="ACME-001", severity=2):
    return case_opening.open_case(
        session,
        world.user(who),
        store,
        asset_serial=serial,
        severity=severity,
        subject="Array degraded",
        description="Bay 2 shows amber.",
        now=now,
    )


def test_a_new_case_stores_its_first_response_deadline_and_when_it_gets_at_risk(session, world, store, clock):
    case = open_case(session, world, store, clock.now(), severity=4)  # Premium 24x7: S4 answers in 120 min
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored.next_due_kind == "first_response"
    assert stored.next_due_at == clock.now() + timedelta(minutes=120)
    assert stored.at_risk_at == clock.now() + timedelta(minutes=60)  # the last hour (more than a quarter)


def test_the_deadline_moves_with_the_reply_the_pause_and_the_resolution(session, world, store, clock):
    case = open_case(session, world, store, clock.now())
    engineer = world.user("engineer")
    clock.advance(timedelta(minutes=20))
    case_comments.add_comment(session, engineer, store, case, body="Looking at it.", public=True, now=clock.now())
    session.refresh(case)
    assert (case.next_due_kind, case.next_due_at) == ("next_update", case.next_update_due_at)
    assert case.next_update_due_at == clock.now() + timedelta(minutes=120)
    services.change_status(
        session, engineer, case, new_status="waiting_customer", expected_version=case.version, now=clock.now()
    )
    session.refresh(case)
    assert (case.next_due_at, case.next_due_kind, case.at_risk_at) == (None, None, None)
    services.change_status(
        session, engineer, case, new_status="in_progress", expected_version=case.version, now=clock.now()
    )
    session.refresh(case)
    assert case.next_due_at is not None
    services.change_status(
        session, engineer, case, new_status="resolved", expected_version=case.version, now=clock.now()
    )
    session.refresh(case)
    assert case.next_due_at is None


def test_the_queue_sorts_by_the_next_deadline_breached_first_and_filters_by_urgency(session, world, store, clock):
    t0 = clock.now()
    slow = open_case(session, world, store, t0 + timedelta(minutes=30), severity=4)  # due +150, at risk from +90
    fast = open_case(session, world, store, t0, severity=1)  # due +30
    later = open_case(session, world, store, t0 + timedelta(minutes=50), severity=2)  # due +110, at risk from +50
    now = t0 + timedelta(minutes=65)  # fast is breached, later at risk, slow on track
    engineer = world.user("engineer")
    page = case_queue(session, engineer, QueueFilter(), 50, now)
    assert [c.number for c in page.cases] == [fast.number, later.number, slow.number]
    breached = case_queue(session, engineer, QueueFilter(breached=True), 50, now)
    assert [c.number for c in breached.cases] == [fast.number]
    at_risk = case_queue(session, engineer, QueueFilter(at_risk=True), 50, now)
    assert [c.number for c in at_risk.cases] == [later.number]


def test_a_customer_escalation_marks_the_case_for_the_queue(session, world, store, clock):
    case = open_case(session, world, store, clock.now())
    other = open_case(session, world, store, clock.now())
    request_escalation(
        session, world.user("acme_admin"), case, reason="Production is down", now=clock.now(), settings=Settings()
    )
    page = case_queue(session, world.user("engineer"), QueueFilter(escalated=True), 50, clock.now())
    assert [c.number for c in page.cases] == [case.number]
    assert other.customer_escalated_at is None


def test_the_not_entitled_filter_finds_cases_without_a_contract(session, world, store, clock):
    open_case(session, world, store, clock.now(), who="globex_admin", serial="GLOBEX-001")
    uncovered = open_case(session, world, store, clock.now(), who="globex_admin", serial="GLOBEX-OLD")
    page = case_queue(session, world.user("engineer"), QueueFilter(not_entitled=True), 50, clock.now())
    assert [c.number for c in page.cases] == [uncovered.number]


def test_bulk_assign_changes_each_case_with_its_timeline_entry_and_reports_refusals(session, world, store, clock):
    fresh = open_case(session, world, store, clock.now())
    stale = open_case(session, world, store, clock.now())
    engineer, other = world.user("engineer"), world.user("engineer2")
    result = apply_bulk(
        session,
        engineer,
        [Selected(fresh.number, fresh.version), Selected(stale.number, stale.version - 1), Selected("CS-999999", 1)],
        action="owner",
        value=str(other.id),
        now=clock.now(),
    )
    assert result.changed == [fresh.number]
    assert [n for n, _ in result.refused] == [stale.number, "CS-999999"]
    assert "changed by someone else" in result.refused[0][1]
    session.expire_all()
    assert session.get(Case, fresh.id).owner_id == other.id
    assert session.get(Case, stale.id).owner_id is None
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == fresh.id)).all()
    assert "owner_changed" in kinds


def test_bulk_status_refuses_a_move_the_status_does_not_allow(session, world, store, clock):
    case = open_case(session, world, store, clock.now())
    result = apply_bulk(
        session,
        world.user("engineer"),
        [Selected(case.number, case.version)],
        action="status",
        value="new",
        now=clock.now(),
    )
    assert result.changed == [] and result.refused[0][0] == case.number


def test_bulk_tier_moves_with_an_internal_entry_and_customers_cannot_bulk(session, world, store, clock):
    case = open_case(session, world, store, clock.now())
    result = apply_bulk(
        session, world.user("engineer"), [Selected(case.number, None)], action="tier", value="L2", now=clock.now()
    )
    assert result.changed == [case.number]
    session.refresh(case)
    assert case.queue == "L2"
    entry = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "tier_changed"))
    assert entry is not None and not entry.public and entry.data == {"from": "L1", "to": "L2"}
    with pytest.raises(ForbiddenError):
        apply_bulk(
            session, world.user("acme_admin"), [Selected(case.number, None)], action="tier", value="L3", now=clock.now()
        )


def test_a_tier_change_refuses_an_unknown_tier_and_the_same_tier(session, world, store, clock):
    case = open_case(session, world, store, clock.now())
    with pytest.raises(CaseRuleError):
        change_tier(session, world.user("engineer"), case, tier="L9", expected_version=case.version, now=clock.now())
    with pytest.raises(CaseRuleError):
        change_tier(session, world.user("engineer"), case, tier="L1", expected_version=case.version, now=clock.now())


def test_saved_views_belong_to_their_user(session, world, clock):
    engineer, other = world.user("engineer"), world.user("engineer2")
    view = saved_views.save_view(session, engineer, name="Breached", flt=QueueFilter(breached=True), now=clock.now())
    assert saved_views.view_filter(view).breached
    assert [v.name for v in saved_views.views_of(session, other)] == []
    with pytest.raises(NotFoundError):
        saved_views.delete_view(session, other, view.id)
    saved_views.delete_view(session, engineer, view.id)
    assert saved_views.views_of(session, engineer) == []


def test_an_unsafe_macro_is_refused_at_save_time_and_audited(session, world, clock):
    manager = world.user("manager")
    with pytest.raises(SafetyBlocked):
        macros.create_macro(session, manager, name="Reseat", body=UNSAFE, now=clock.now())
    assert session.scalars(select(Macro)).all() == []
    [block] = session.scalars(select(SafetyBlock).where(SafetyBlock.channel == "macro")).all()  # one, not one a part
    assert block.actor_id == manager.id and block.component_serial is None
    assert block.reason.startswith("this macro asks to put back a failed drive") and "SAMPLE" not in block.reason


def test_only_support_managers_keep_macros_and_unknown_placeholders_are_refused(session, world, clock):
    with pytest.raises(ForbiddenError):
        macros.create_macro(session, world.user("engineer"), name="Ack", body="Hello", now=clock.now())
    with pytest.raises(CaseRuleError, match="owner"):
        macros.create_macro(session, world.user("manager"), name="Ack", body="Hi {owner}", now=clock.now())


def test_a_macro_fills_the_case_fields_and_an_unsafe_one_is_refused_again_when_sent(
    session, world, store, failed_case, clock
):
    manager, engineer = world.user("manager"), world.user("engineer")
    ack = macros.create_macro(
        session, manager, name="Ack", body="Hello {customer_name}, {case_number} on {asset_serial}.", now=clock.now()
    )
    text = macros.apply_macro(session, engineer, failed_case, ack.id)
    assert text == f"Hello {world.user('acme_admin').name}, {failed_case.number} on ACME-001."
    # A macro stored before the guard refused its text (written directly, as an old row would be):
    legacy = Macro(name="Legacy", body=UNSAFE, created_at=clock.now(), updated_at=clock.now())
    session.add(legacy)
    session.commit()
    filled = macros.apply_macro(session, engineer, failed_case, legacy.id)
    with pytest.raises(SafetyBlocked):
        case_comments.add_comment(session, engineer, store, failed_case, body=filled, public=True, now=clock.now())
    comments = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == failed_case.id, CaseEvent.kind == "comment")
    ).all()
    assert comments == []


def test_a_macro_edit_names_the_version_it_read(session, world, clock):
    manager = world.user("manager")
    macro = macros.create_macro(session, manager, name="Ack", body="Hello", now=clock.now())
    macros.update_macro(session, manager, macro.id, name="Ack", body="Hi", expected_version=1, now=clock.now())
    from casemgr.errors import ConflictError

    with pytest.raises(ConflictError):
        macros.update_macro(session, manager, macro.id, name="Ack", body="Hey", expected_version=1, now=clock.now())


def test_the_escalation_runner_keeps_the_stored_deadline_current(app, session, world, store, clock):
    """The runner writes its batch with one Core UPDATE, not a flush: it derives the deadline itself."""
    from casemgr.registry import registry_of
    from escalation.defaults import seed_default_ladders
    from escalation.services import run_due

    seed_default_ladders(session)
    case = open_case(session, world, store, clock.now())
    table = Case.__table__
    session.execute(table.update().where(table.c.id == case.id).values(next_due_at=None, at_risk_at=None))
    session.commit()  # a stale stored deadline (as an older release would have left it)
    run_due(registry_of(app).db.write_session_factory, clock.now() + timedelta(minutes=61), Settings())
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored.next_due_kind == "first_response"
    assert stored.next_due_at == stored.first_response_due_at is not None


def test_the_queue_count_stops_at_its_bound_and_says_there_are_more(session, world, store, clock, monkeypatch):
    """A page costs the same whatever the queue's length: past the bound it says N+."""
    from casemgr.cases import queries

    for minutes in range(5):
        open_case(session, world, store, clock.now() + timedelta(minutes=minutes))
    engineer = world.user("engineer")
    whole = case_queue(session, engineer, QueueFilter(), 2, clock.now())
    assert (whole.total, whole.more, whole.pages) == (5, False, 3)
    monkeypatch.setattr(queries, "COUNT_BOUND", 3)
    bounded = case_queue(session, engineer, QueueFilter(), 2, clock.now())
    assert (bounded.total, bounded.more, bounded.has_next, len(bounded.cases)) == (3, True, True, 2)
    last = case_queue(session, engineer, QueueFilter(page=3), 2, clock.now())  # beyond the bound: counted to it
    assert (last.total, last.more, last.has_next, len(last.cases)) == (5, False, False, 1)
