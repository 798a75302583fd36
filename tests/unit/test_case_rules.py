"""Pure case rules: no database, no Flask."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from casemgr.cases import rules
from casemgr.cases.rules import CaseRuleError
from casemgr.contracts.coverage import pick_active


def test_case_numbers_are_zero_padded():
    assert rules.format_case_number(1) == "CS-000001"
    assert rules.format_case_number(123456) == "CS-123456"


@pytest.mark.parametrize(
    "current,new",
    [
        ("new", "in_progress"),
        ("in_progress", "waiting_customer"),
        ("waiting_customer", "in_progress"),
        ("resolved", "in_progress"),
    ],
)
def test_vendors_may_move_an_open_case_along(current, new):
    rules.check_vendor_status_move(current, new)


@pytest.mark.parametrize(
    "current,new,message",
    [
        ("closed", "in_progress", "Allowed: none"),
        ("new", "closed", "cannot become closed"),
        ("new", "new", "already new"),
        ("new", "bogus", "Unknown status"),
    ],
)
def test_vendors_cannot_make_illegal_moves(current, new, message):
    with pytest.raises(CaseRuleError, match=message):
        rules.check_vendor_status_move(current, new)


def test_a_customer_reply_resumes_waiting_and_reopens_resolved_cases():
    assert rules.status_after_customer_reply("waiting_customer") == "in_progress"
    assert rules.status_after_customer_reply("resolved") == "in_progress"
    assert rules.status_after_customer_reply("in_progress") is None


def test_end_of_support_closure_requires_a_handoff():
    with pytest.raises(CaseRuleError, match="hand-off"):
        rules.check_close("in_progress", "end_of_support", has_handoff=False)
    rules.check_close("in_progress", "end_of_support", has_handoff=True)
    rules.check_close("resolved", "duplicate", has_handoff=False)
    with pytest.raises(CaseRuleError, match="already closed"):
        rules.check_close("closed", "duplicate", has_handoff=False)


def test_text_is_trimmed_required_and_bounded():
    assert rules.check_text("Subject", "  hi  ", 10) == "hi"
    with pytest.raises(CaseRuleError, match="required"):
        rules.check_text("Subject", "   ", 10)
    with pytest.raises(CaseRuleError, match="11 characters; at most 10"):
        rules.check_text("Subject", "x" * 11, 10)


def test_the_active_contract_is_the_one_ending_last_among_those_in_force():
    old = SimpleNamespace(starts_on=date(2020, 1, 1), ends_on=date(2024, 12, 31))
    current = SimpleNamespace(starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31))
    renewal = SimpleNamespace(starts_on=date(2026, 6, 1), ends_on=date(2028, 5, 31))
    assert pick_active([old, current, renewal], date(2026, 7, 1)) is renewal
    assert pick_active([old, current, renewal], date(2026, 1, 1)) is current
    assert pick_active([old], date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    "has_asset, entitled, eos, expected",
    [
        (True, True, None, False),  # covered, supported
        (True, False, None, True),  # no active contract
        (True, True, date(2026, 11, 1), True),  # past its end of support
        (True, True, date(2026, 11, 3), False),  # end of support still ahead
        (False, False, None, False),  # a triage case is about no product
    ],
)
def test_which_cases_need_a_handoff_or_the_customers_word_to_close(has_asset, entitled, eos, expected):
    assert rules.needs_handoff(has_asset, entitled, eos, date(2026, 11, 2)) is expected


def test_an_uncovered_case_closes_only_with_a_handoff():
    for reason in ("resolved", "duplicate", "customer_request"):
        with pytest.raises(CaseRuleError, match="not covered"):
            rules.check_close("resolved", reason, has_handoff=False, handoff_required=True)
    rules.check_close("resolved", "resolved", has_handoff=True, handoff_required=True)
