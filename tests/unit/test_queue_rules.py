"""The queue's pure rules: which deadline is next, when it is at risk, and macro text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casemgr.cases.rules import CaseRuleError
from casemgr.queue.macro_rules import check_macro, fill, placeholders_in
from casemgr.queue.rules import ClockState, next_deadline, urgency

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def state(**kw) -> ClockState:
    values = {
        "status": "new",
        "paused": False,
        "created_at": T0,
        "first_response_due_at": T0 + 4 * H,
        "first_response_at": None,
        "next_update_due_at": None,
        "last_vendor_update_at": None,
        "resolution_due_at": T0 + 48 * H,
    }
    values.update(kw)
    return ClockState(**values)


def test_a_new_case_is_due_its_first_response_and_at_risk_in_the_last_hour_of_four():
    deadline = next_deadline(state())
    assert deadline is not None
    assert (deadline.kind, deadline.due_at, deadline.at_risk_at) == ("first_response", T0 + 4 * H, T0 + 3 * H)


def test_a_long_clock_is_at_risk_for_its_last_quarter():
    deadline = next_deadline(state(first_response_due_at=T0 + 12 * H, resolution_due_at=T0 + 99 * H))
    assert deadline is not None and deadline.at_risk_at == T0 + 9 * H


def test_once_answered_the_next_update_counts_from_the_latest_vendor_reply():
    deadline = next_deadline(
        state(
            status="in_progress",
            first_response_at=T0 + H,
            last_vendor_update_at=T0 + 2 * H,
            next_update_due_at=T0 + 10 * H,
        )
    )
    assert deadline is not None
    assert (deadline.kind, deadline.due_at, deadline.at_risk_at) == ("next_update", T0 + 10 * H, T0 + 8 * H)


def test_the_resolution_comes_next_when_it_is_earlier_than_the_next_update():
    deadline = next_deadline(
        state(first_response_at=T0 + H, next_update_due_at=T0 + 50 * H, resolution_due_at=T0 + 48 * H)
    )
    assert deadline is not None and deadline.kind == "resolution"


@pytest.mark.parametrize("changes", [{"status": "resolved"}, {"status": "closed"}, {"paused": True}])
def test_a_resolved_closed_or_paused_case_has_no_running_deadline(changes):
    assert next_deadline(state(**changes)) is None


def test_a_case_without_targets_has_no_deadline():
    assert next_deadline(state(first_response_due_at=None, resolution_due_at=None)) is None


def test_urgency_says_breached_at_risk_on_track_or_none():
    due, risk = T0 + 4 * H, T0 + 3 * H
    assert urgency(due, risk, T0) == "on_track"
    assert urgency(due, risk, T0 + 3 * H) == "at_risk"
    assert urgency(due, risk, T0 + 4 * H) == "breached"
    assert urgency(None, None, T0) == "none"


def test_a_macro_with_known_placeholders_is_accepted_and_filled():
    name, body = check_macro("  Ack  ", "Hello {customer_name}, {case_number} on {asset_serial} is with {owner_name}.")
    assert name == "Ack"
    assert placeholders_in(body) == ["customer_name", "case_number", "asset_serial", "owner_name"]
    filled = fill(body, {"customer_name": "Ana", "case_number": "CS-1", "asset_serial": "SN1", "owner_name": "Sam"})
    assert filled == "Hello Ana, CS-1 on SN1 is with Sam."


def test_an_unknown_placeholder_is_refused_at_save_time_by_name():
    with pytest.raises(CaseRuleError, match=r"Unknown placeholder: \{customer\}"):
        check_macro("Ack", "Hello {customer}")


@pytest.mark.parametrize(("name", "body"), [("", "text"), ("Ack", "   "), ("x" * 81, "text")])
def test_a_macro_needs_a_name_and_a_text(name, body):
    with pytest.raises(CaseRuleError):
        check_macro(name, body)
