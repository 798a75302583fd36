"""Plan targets as people type them (hours and minutes) and the rules every edge shares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casemgr.admin.audit import describe_changes
from casemgr.admin.targets import join, split, spoken, validate_targets, validate_weekly_hours
from casemgr.cases.rules import CaseRuleError


def targets(first=60, update=120, resolution=480):
    return {s: {"first_response": first, "next_update": update, "resolution": resolution} for s in "1234"}


def test_complete_targets_are_accepted():
    validate_targets(targets())


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({s: targets()[s] for s in "123"}, "severities 1, 2, 3 and 4"),
        ({**targets(), "2": {"first_response": 60, "resolution": 90}}, "severity 2 need"),
        (targets(first=0), "between 1 minute and 8760 hours"),
        (targets(first=True), "between 1 minute and 8760 hours"),
        (targets(resolution=525601, first=1), "between 1 minute and 8760 hours"),
        (targets(first=600, resolution=480), "first response cannot come after the resolution"),
    ],
)
def test_incomplete_or_impossible_targets_are_refused_with_the_reason(bad, message):
    with pytest.raises(CaseRuleError, match=message):
        validate_targets(bad)


@given(st.integers(min_value=0, max_value=525600))
def test_hours_and_minutes_round_trip_to_the_stored_minutes(minutes):
    hours, rest = split(minutes)
    assert 0 <= rest < 60 and join(hours, rest) == minutes


def test_an_empty_hours_or_minutes_box_counts_as_zero():
    assert join(None, 30) == 30 and join(4, None) == 240


@pytest.mark.parametrize(("minutes", "words"), [(45, "45 min"), (240, "4 h"), (90, "1 h 30 min")])
def test_targets_are_spoken_in_hours_and_minutes(minutes, words):
    assert spoken(minutes) == words


def test_an_audit_summary_names_only_the_fields_that_changed():
    before = {"name": "Acme", "region": "eu", "timezone": "UTC"}
    after = {"name": "Acme Corp", "region": "eu", "timezone": "Europe/Berlin"}
    assert describe_changes(before, after) == "name: 'Acme' -> 'Acme Corp'; timezone: 'UTC' -> 'Europe/Berlin'"
    assert describe_changes(before, dict(before)) == ""


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": [["9am", "17:00"]]}, "HH:MM to HH:MM"),
        ({"tue": [["08:00"]]}, "HH:MM to HH:MM"),
        ({"wed": [["25:00", "26:00"]]}, "HH:MM to HH:MM"),
        ({"thu": [["18:00", "08:00"]]}, "closes before it opens"),
    ],
)
def test_weekly_hours_are_refused_unless_each_window_is_hh_mm_to_a_later_hh_mm(hours, message):
    with pytest.raises(CaseRuleError, match=message):
        validate_weekly_hours(hours)


def test_weekly_hours_may_run_to_the_end_of_the_day():
    validate_weekly_hours({"fri": [["08:00", "12:00"], ["13:00", "24:00"]], "sat": []})
