"""Pure ladder and clock decisions: no database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from escalation.clocks import CaseFacts, Targets, compute_dues, pauses_from_status_changes
from escalation.ladder import CustomerRequest, LadderInput, OpenCommitment, PendingReturn, StepSpec, plan
from escalation.sla import CoverageCalendar, Interval

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
ALWAYS = CoverageCalendar.twenty_four_seven()
TARGETS = Targets(first_response=timedelta(minutes=30), next_update=H, resolution=4 * H)


def facts(**kw) -> CaseFacts:
    base = dict(opened_at=T0, status="new", first_response_at=None, last_vendor_update_at=None, resolved_at=None)
    base.update(kw)
    return CaseFacts(**base)


def step(id, condition, *, minutes=None, percent=None, repeat=None, action="notify", target="owner") -> StepSpec:
    return StepSpec(id, id, f"step {id}", condition, minutes, percent, action, target, repeat)


def test_pauses_come_from_the_status_history():
    changes = [
        (T0, "new", "in_progress"),
        (T0 + H, "in_progress", "waiting_customer"),
        (T0 + 2 * H, "waiting_customer", "in_progress"),
        (T0 + 3 * H, "in_progress", "waiting_customer"),
    ]
    assert pauses_from_status_changes(changes) == (Interval(T0 + H, T0 + 2 * H), Interval(T0 + 3 * H, None))


def test_dues_shift_by_the_pause_and_disappear_while_paused():
    paused = facts(
        status="in_progress",
        first_response_at=T0 + timedelta(minutes=10),
        pauses=(Interval(T0 + timedelta(minutes=20), T0 + 2 * H),),
    )
    dues = compute_dues(paused, TARGETS, ALWAYS)
    assert dues.resolution == T0 + 4 * H + timedelta(minutes=100)
    assert dues.next_update == T0 + timedelta(minutes=10) + H + timedelta(minutes=100)
    ongoing = facts(
        status="waiting_customer",
        first_response_at=T0 + timedelta(minutes=10),
        pauses=(Interval(T0 + timedelta(minutes=20), None),),
    )
    assert compute_dues(ongoing, TARGETS, ALWAYS).resolution is None


def test_percent_offsets_follow_the_matching_target():
    steps = [step(1, "not_acknowledged", percent=50), step(2, "not_resolved", percent=50)]
    _, upcoming = plan(steps, LadderInput(facts(), TARGETS, ALWAYS), set(), T0)
    assert [(f.step.id, f.due_at) for f in upcoming] == [(1, T0 + timedelta(minutes=15)), (2, T0 + 2 * H)]


def test_a_fired_step_is_not_due_again_and_a_cleared_condition_fires_nothing():
    steps = [step(1, "not_acknowledged", minutes=10)]
    data = LadderInput(facts(), TARGETS, ALWAYS)
    due, _ = plan(steps, data, set(), T0 + H)
    assert [(f.step.id, f.episode, f.cycle) for f in due] == [(1, "ack", 0)]
    assert plan(steps, data, {(1, "ack", 0)}, T0 + H)[0] == []
    answered = LadderInput(facts(first_response_at=T0 + timedelta(minutes=5)), TARGETS, ALWAYS)
    assert plan(steps, answered, set(), T0 + H) == ([], [])


def test_missed_repeats_collapse_into_the_latest_cycle():
    steps = [step(1, "not_resolved", minutes=10, repeat=15)]
    due, upcoming = plan(steps, LadderInput(facts(), TARGETS, ALWAYS), set(), T0 + 2 * H)
    assert [(f.cycle, f.due_at) for f in due] == [(7, T0 + timedelta(minutes=115))]
    assert [(f.cycle, f.due_at) for f in upcoming] == [(8, T0 + timedelta(minutes=130))]


def test_commitments_and_requests_run_on_the_wall_clock():
    business = CoverageCalendar.business_hours("Europe/Berlin", time(8), time(18))
    steps = [step(1, "commitment_missed", minutes=30), step(2, "customer_request", minutes=0)]
    saturday = datetime(2026, 11, 7, 10, 0, tzinfo=UTC)
    data = LadderInput(
        facts(), TARGETS, business, commitments=[OpenCommitment(7, saturday)], requests=[CustomerRequest(99, saturday)]
    )
    due, _ = plan(steps, data, set(), saturday + H)
    assert [(f.episode, f.due_at) for f in due] == [("req:99", saturday), ("cmt:7", saturday + timedelta(minutes=30))]


def test_nothing_is_due_on_a_resolved_case():
    steps = [step(1, "not_resolved", minutes=1), step(2, "commitment_missed", minutes=0)]
    data = LadderInput(
        facts(status="resolved", resolved_at=T0 + H), TARGETS, ALWAYS, commitments=[OpenCommitment(1, T0)]
    )
    assert plan(steps, data, set(), T0 + 5 * H) == ([], [])


def test_an_overdue_return_reminds_daily_on_the_wall_clock_even_after_the_case_is_resolved():
    owed = PendingReturn(7, "RMA-000007", T0 + 10 * 24 * H, (3, 4))
    steps = [step(1, "return_overdue", minutes=0, repeat=24 * 60, target="return_team")]
    resolved = facts(status="resolved", resolved_at=T0 + H)
    data = LadderInput(resolved, TARGETS, ALWAYS, returns=[owed])
    due, upcoming = plan(steps, data, set(), T0 + 10 * 24 * H + 5 * H)
    assert [(f.episode, f.cycle, f.about) for f in due] == [("rma:7", 0, owed)]
    assert upcoming[0].due_at == T0 + 11 * 24 * H and upcoming[0].about == owed
    assert plan(steps, LadderInput(resolved, TARGETS, ALWAYS), set(), T0 + 30 * 24 * H) == ([], []), (
        "received or retained: nothing more"
    )
