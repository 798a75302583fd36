"""Unit and property tests for the SLA clock (escalation.sla): pure, no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation import sla
from escalation.sla import (
    CoverageCalendar,
    Interval,
    add_business_time,
    business_time_between,
    remaining,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
PROPS = settings(max_examples=200, deadline=None, database=None)


def local(tz, *args):
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def berlin(*args):
    return local(BERLIN, *args)


def ny(*args):
    return local(NEW_YORK, *args)


def daily(tz, *intervals, days=range(7)):
    return CoverageCalendar(tz, {d: tuple(intervals) for d in days})


OFFICE = CoverageCalendar.business_hours("Europe/Berlin", time(8), time(17))
NY_OFFICE = CoverageCalendar.business_hours("America/New_York", time(8), time(17))
FULL_DAY_BERLIN = daily("Europe/Berlin", (time(0), time(0)))


# --- 24x7 -------------------------------------------------------------------


def test_24x7_counts_wall_clock_time():
    cal = CoverageCalendar.twenty_four_seven()
    start = datetime(2026, 3, 28, 22, 15, tzinfo=UTC)
    due = add_business_time(start, timedelta(days=2, minutes=7), cal)
    assert due == start + timedelta(days=2, minutes=7)
    assert due.tzinfo is UTC
    assert add_business_time(start, timedelta(0), cal) == start
    assert business_time_between(start, due, cal) == timedelta(days=2, minutes=7)
    assert cal.is_covered(start) and cal.next_coverage_start(start) == start


def test_24x7_with_pause():
    cal = CoverageCalendar.twenty_four_seven()
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    pause = Interval(start + H, start + 3 * H)
    assert add_business_time(start, 4 * H, cal, [pause]) == start + 6 * H


# --- business hours -----------------------------------------------------------


def test_friday_evening_four_hours_is_due_monday_noon():
    due = add_business_time(berlin(2026, 3, 6, 18), 4 * H, OFFICE)
    assert due == berlin(2026, 3, 9, 12)
    assert due.tzinfo is UTC


def test_friday_afternoon_rolls_over_the_weekend():
    assert add_business_time(berlin(2026, 3, 6, 16), 4 * H, OFFICE) == berlin(2026, 3, 9, 11)


def test_target_used_up_at_closing_is_due_when_coverage_resumes():
    start = berlin(2026, 3, 9, 13)
    due = add_business_time(start, 4 * H, OFFICE)
    assert due == berlin(2026, 3, 10, 8)
    assert business_time_between(start, berlin(2026, 3, 9, 17), OFFICE) == 4 * H
    assert remaining(due, berlin(2026, 3, 9, 20), OFFICE) == timedelta(0)


@pytest.mark.parametrize(
    "start, expected",
    [
        (berlin(2026, 3, 7, 10), berlin(2026, 3, 9, 8)),  # Saturday
        (berlin(2026, 3, 9, 10), berlin(2026, 3, 9, 10)),  # inside coverage
        (berlin(2026, 3, 9, 17), berlin(2026, 3, 10, 8)),  # closing time is not covered
        (berlin(2026, 3, 9, 7, 59), berlin(2026, 3, 9, 8)),
    ],
)
def test_zero_duration_moves_to_next_covered_instant(start, expected):
    assert add_business_time(start, timedelta(0), OFFICE) == expected
    assert OFFICE.next_coverage_start(start) == expected


def test_is_covered_is_half_open():
    assert OFFICE.is_covered(berlin(2026, 3, 9, 8))
    assert OFFICE.is_covered(berlin(2026, 3, 9, 16, 59, 59))
    assert not OFFICE.is_covered(berlin(2026, 3, 9, 17))
    assert not OFFICE.is_covered(berlin(2026, 3, 7, 12))


def test_holidays_are_skipped():
    cal = CoverageCalendar.business_hours(
        "Europe/Berlin", time(8), time(17), holidays=[date(2026, 12, 25), date(2026, 12, 28)]
    )
    assert add_business_time(berlin(2026, 12, 24, 16), 4 * H, cal) == berlin(2026, 12, 29, 11)
    assert not cal.is_covered(berlin(2026, 12, 25, 10))
    assert business_time_between(berlin(2026, 12, 21, 0), berlin(2026, 12, 31, 0), cal) == 6 * 9 * H


def test_multiple_windows_per_day():
    cal = daily("Europe/Berlin", (time(13), time(17)), (time(8), time(12)), days=range(5))
    assert add_business_time(berlin(2026, 3, 9, 11), 2 * H, cal) == berlin(2026, 3, 9, 14)


# --- pauses --------------------------------------------------------------------


def test_pause_shifts_due_time():
    start = berlin(2026, 3, 9, 8)
    assert add_business_time(start, 4 * H, OFFICE) == berlin(2026, 3, 9, 12)
    pause = Interval(berlin(2026, 3, 9, 9), berlin(2026, 3, 9, 10, 30))
    assert add_business_time(start, 4 * H, OFFICE, [pause]) == berlin(2026, 3, 9, 13, 30)
    assert business_time_between(start, berlin(2026, 3, 9, 13, 30), OFFICE, [pause]) == 4 * H


def test_pause_outside_coverage_changes_nothing():
    pause = Interval(berlin(2026, 3, 6, 17), berlin(2026, 3, 9, 8))
    assert add_business_time(berlin(2026, 3, 6, 16), 4 * H, OFFICE, [pause]) == berlin(2026, 3, 9, 11)


def test_overlapping_pauses_and_pause_before_start():
    start = berlin(2026, 3, 9, 8)
    pauses = [
        Interval(berlin(2026, 3, 9, 7), berlin(2026, 3, 9, 9)),
        Interval(berlin(2026, 3, 9, 10), berlin(2026, 3, 9, 11)),
        Interval(berlin(2026, 3, 9, 10, 30), berlin(2026, 3, 9, 11, 30)),
    ]
    assert add_business_time(start, 2 * H, OFFICE, pauses) == berlin(2026, 3, 9, 12, 30)


def test_ongoing_pause_means_due_time_unknown():
    start = berlin(2026, 3, 9, 8)
    assert add_business_time(start, 4 * H, OFFICE, [Interval(berlin(2026, 3, 9, 10))]) is None
    assert add_business_time(start, 4 * H, OFFICE, [Interval(berlin(2026, 3, 6, 10), None)]) is None
    # Target used up exactly when the pause began: never breached while paused.
    assert add_business_time(start, 4 * H, OFFICE, [Interval(berlin(2026, 3, 9, 12))]) is None
    # Paused only after the target was already missed: the breach stays visible.
    late = Interval(berlin(2026, 3, 10, 9))
    assert add_business_time(start, 4 * H, OFFICE, [late]) == berlin(2026, 3, 9, 12)


def test_ongoing_pause_stops_the_business_clock():
    pause = Interval(berlin(2026, 3, 9, 10))
    assert business_time_between(berlin(2026, 3, 9, 8), berlin(2026, 3, 20, 8), OFFICE, [pause]) == 2 * H


def test_remaining_is_signed_business_time():
    due = berlin(2026, 3, 9, 12)
    assert remaining(due, berlin(2026, 3, 6, 16), OFFICE) == 5 * H
    assert remaining(due, due, OFFICE) == timedelta(0)
    assert remaining(due, berlin(2026, 3, 9, 13), OFFICE) == -H
    assert remaining(due, berlin(2026, 3, 10, 9), OFFICE) == -6 * H


# --- DST ----------------------------------------------------------------------


def test_berlin_spring_forward_and_fall_back_days():
    assert business_time_between(berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0), FULL_DAY_BERLIN) == 23 * H
    assert business_time_between(berlin(2026, 10, 25, 0), berlin(2026, 10, 26, 0), FULL_DAY_BERLIN) == 25 * H
    assert business_time_between(berlin(2026, 3, 28, 0), berlin(2026, 3, 30, 0), FULL_DAY_BERLIN) == 47 * H


def test_berlin_business_hours_across_dst_weekends():
    due = add_business_time(berlin(2026, 3, 27, 16), 4 * H, OFFICE)
    assert due == berlin(2026, 3, 30, 11) == datetime(2026, 3, 30, 9, tzinfo=UTC)
    due = add_business_time(berlin(2026, 10, 23, 16), 4 * H, OFFICE)
    assert due == berlin(2026, 10, 26, 11) == datetime(2026, 10, 26, 10, tzinfo=UTC)
    for month, monday in ((3, 23), (10, 19)):
        assert (
            business_time_between(berlin(2026, month, monday, 8), berlin(2026, month, monday + 7, 8), OFFICE) == 45 * H
        )


def test_new_york_business_hours_across_dst_weekends():
    assert add_business_time(ny(2026, 3, 6, 16), 4 * H, NY_OFFICE) == datetime(2026, 3, 9, 15, tzinfo=UTC)
    assert add_business_time(ny(2026, 10, 30, 16), 4 * H, NY_OFFICE) == datetime(2026, 11, 2, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    "tz, day, window, real",
    [
        ("Europe/Berlin", date(2026, 3, 29), (time(1), time(5)), 3 * H),
        ("Europe/Berlin", date(2026, 10, 25), (time(1), time(5)), 5 * H),
        ("America/New_York", date(2026, 3, 8), (time(1), time(4)), 2 * H),
        ("America/New_York", date(2026, 11, 1), (time(1), time(4)), 4 * H),
        ("America/New_York", date(2026, 11, 1), (time(0), time(1, 30)), 2 * H),  # 01:00-01:30 twice
        ("America/New_York", date(2026, 3, 8), (time(8), time(17)), 9 * H),  # gap not spanned
        ("Australia/Lord_Howe", date(2026, 4, 5), (time(1), time(3)), timedelta(hours=2, minutes=30)),
    ],
)
def test_window_spanning_a_dst_transition_has_real_length(tz, day, window, real):
    cal = CoverageCalendar(tz, {day.weekday(): (window,)})
    start = local(ZoneInfo(tz), day.year, day.month, day.day)
    assert business_time_between(start, start + timedelta(days=2), cal) == real


def test_window_boundaries_inside_the_spring_gap_take_effect_at_the_jump():
    sunday = {6: ((time(2, 30), time(6)),)}
    cal = CoverageCalendar("Europe/Berlin", sunday)
    assert cal.next_coverage_start(datetime(2026, 3, 28, 23, tzinfo=UTC)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    cal = CoverageCalendar("Europe/Berlin", {6: ((time(0), time(2, 30)),)})
    start = berlin(2026, 3, 29, 0)
    assert business_time_between(start, start + 5 * H, cal) == 2 * H
    assert not cal.is_covered(datetime(2026, 3, 29, 1, tzinfo=UTC))


def test_fold_is_covered_by_wall_clock():
    cal = CoverageCalendar("America/New_York", {6: ((time(0), time(1, 30)),)})
    assert cal.is_covered(datetime(2026, 11, 1, 5, 15, tzinfo=UTC))  # 01:15 EDT
    assert not cal.is_covered(datetime(2026, 11, 1, 5, 45, tzinfo=UTC))  # 01:45 EDT
    assert cal.is_covered(datetime(2026, 11, 1, 6, 15, tzinfo=UTC))  # 01:15 EST
    assert not cal.is_covered(datetime(2026, 11, 1, 6, 30, tzinfo=UTC))  # 01:30 EST


def wall_clock_covered(cal, instant):
    """Independent oracle: look at the local clock and the opening hours."""
    if cal.always:
        return True
    here = instant.astimezone(ZoneInfo(cal.timezone))
    if here.date() in cal.holidays:
        return False
    t = here.time()
    return any(s <= t and (e == time(0) or t < e) for s, e in cal.weekly_hours.get(here.weekday(), ()))


ODD_CALENDARS = [
    OFFICE,
    NY_OFFICE,
    FULL_DAY_BERLIN,
    daily("Europe/Berlin", (time(0), time(2, 30)), (time(22), time(0))),
    daily("America/New_York", (time(0, 30), time(1, 30)), (time(1, 45), time(2, 15)), (time(2, 45), time(3))),
    daily("Australia/Lord_Howe", (time(1), time(2, 15))),
]
TRANSITIONS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
]


@pytest.mark.parametrize("cal", ODD_CALENDARS, ids=lambda c: c.describe())
def test_is_covered_matches_wall_clock_every_minute_around_transitions(cal):
    for transition in TRANSITIONS:
        for minute in range(-26 * 60, 26 * 60, 1):
            instant = transition + timedelta(minutes=minute, seconds=7)
            assert cal.is_covered(instant) == wall_clock_covered(cal, instant), instant


# --- serialisation and description -------------------------------------------------


def test_from_dict_to_dict_round_trip():
    data = {
        "always": False,
        "timezone": "Europe/Berlin",
        "weekly_hours": {"mon": [["08:00", "12:00"], ["13:00", "17:30"]], "sat": [["22:00", "24:00"]]},
        "holidays": ["2026-12-24", "2026-12-25"],
    }
    cal = CoverageCalendar.from_dict(data, "UTC")
    assert cal.weekly_hours[0] == ((time(8), time(12)), (time(13), time(17, 30)))
    assert cal.weekly_hours[5] == ((time(22), time(0)),)
    assert cal.to_dict() == data
    assert CoverageCalendar.from_dict(cal.to_dict(), "UTC") == cal
    for original in (OFFICE, FULL_DAY_BERLIN, CoverageCalendar.twenty_four_seven(), *ODD_CALENDARS):
        assert CoverageCalendar.from_dict(original.to_dict(), "Asia/Tokyo") == original


def test_from_dict_defaults_to_site_timezone():
    cal = CoverageCalendar.from_dict(
        {"timezone": None, "weekly_hours": {"Tue": [["09:00", "10:00"]]}}, "America/New_York"
    )
    assert cal.timezone == "America/New_York" and cal.weekly_hours == {1: ((time(9), time(10)),)}
    assert CoverageCalendar.from_dict({"always": True}, "Europe/Berlin").always


@pytest.mark.parametrize(
    "data",
    [
        {"weekly_hours": {"mon": [["08:00", "17:00"]]}, "color": "red"},
        {"weekly_hours": {"funday": [["08:00", "17:00"]]}},
        {"weekly_hours": {"mon": [["08:00", "7:00"]]}},
        {"weekly_hours": {"mon": [["17:00", "08:00"]]}},
        {"weekly_hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}},
        {"weekly_hours": {"mon": [["08:00", "17:00"]]}, "timezone": "Mars/Olympus"},
        {"weekly_hours": {"mon": [["08:00", "17:00"]]}, "holidays": ["christmas"]},
        {"weekly_hours": {}},
        {"weekly_hours": {"mon": [["08:00"]]}},
        {"weekly_hours": {"mon": [["08:00", "17:00"]]}, "always": "false"},
    ],
)
def test_from_dict_rejects_bad_input(data):
    with pytest.raises(ValueError):
        CoverageCalendar.from_dict(data, "Europe/Berlin")


def test_describe():
    assert CoverageCalendar.twenty_four_seven().describe() == "24x7"
    holidays = [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31)]
    cal = CoverageCalendar.business_hours("Europe/Berlin", time(8), time(17), holidays=holidays)
    assert cal.describe() == "Mon-Fri 08:00-17:00 Europe/Berlin, 3 holidays"
    cal = CoverageCalendar(
        "America/New_York",
        {0: ((time(9), time(17)),), 2: ((time(9), time(17)),), 5: ((time(10), time(0)),)},
        frozenset([date(2026, 7, 4)]),
    )
    assert cal.describe() == "Mon, Wed 09:00-17:00; Sat 10:00-24:00 America/New_York, 1 holiday"


# --- validation -------------------------------------------------------------------


def test_naive_datetimes_are_rejected():
    naive = datetime(2026, 3, 9, 8)
    aware = berlin(2026, 3, 9, 8)
    for call in (
        lambda: add_business_time(naive, H, OFFICE),
        lambda: business_time_between(naive, aware, OFFICE),
        lambda: business_time_between(aware, naive, OFFICE),
        lambda: remaining(naive, aware, OFFICE),
        lambda: OFFICE.is_covered(naive),
        lambda: OFFICE.next_coverage_start(naive),
        lambda: Interval(naive, aware),
        lambda: Interval(aware, naive),
    ):
        with pytest.raises(ValueError):
            call()


def test_other_invalid_arguments():
    start = berlin(2026, 3, 9, 8)
    with pytest.raises(ValueError):
        add_business_time(start, -H, OFFICE)
    with pytest.raises(ValueError):
        Interval(start, start - H)
    with pytest.raises(ValueError):
        CoverageCalendar("Europe/Berlin", {7: ((time(8), time(9)),)})
    assert business_time_between(start, start - H, OFFICE) == timedelta(0)


def test_aware_non_utc_input_gives_utc_output():
    due = add_business_time(datetime(2026, 3, 9, 8, tzinfo=BERLIN), H, OFFICE)
    assert due.tzinfo is UTC and due == berlin(2026, 3, 9, 9)


def test_calendar_is_hashable_and_immutable():
    assert hash(OFFICE) == hash(CoverageCalendar.business_hours("Europe/Berlin", time(8), time(17)))
    with pytest.raises(TypeError):
        OFFICE.weekly_hours[5] = ((time(8), time(9)),)


def test_thirty_days_of_business_time_costs_one_calendar_lookup_per_day_spanned():
    """Work in proportion to the days crossed (counted, not timed: timing belongs in bench/)."""
    starts = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=37 * i, minutes=11 * i) for i in range(50)]
    for start in starts:
        sla._day_windows.cache_clear()  # the cold path
        due = add_business_time(start, timedelta(days=30), NY_OFFICE)
        days_spanned = (due - start).days + 3  # both ends, in the office's zone
        assert sla._day_windows.cache_info().misses <= days_spanned
        assert business_time_between(start, due, NY_OFFICE) == timedelta(days=30)


# --- properties -------------------------------------------------------------------

PROPERTY_CALENDARS = [
    CoverageCalendar.twenty_four_seven(),
    CoverageCalendar.business_hours(
        "Europe/Berlin", time(8), time(17), holidays=[date(y, 12, d) for y in range(2024, 2030) for d in (24, 25, 26)]
    ),
    CoverageCalendar(
        "America/New_York",
        {
            0: ((time(9), time(12)), (time(13), time(17, 30))),
            3: ((time(9), time(17)),),
            6: ((time(0, 30), time(3, 30)),),
        },
    ),
    daily("Europe/Berlin", (time(0), time(2, 30)), (time(22), time(0))),
    daily("Australia/Lord_Howe", (time(1), time(3))),
    CoverageCalendar.business_hours("Asia/Kolkata", time(9, 30), time(18, 15), weekdays=range(0, 6)),
]
calendars = st.sampled_from(PROPERTY_CALENDARS)
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
durations = st.integers(0, 30 * 24 * 60).map(lambda m: timedelta(minutes=m))
minutes = st.integers(-3 * 24 * 60, 40 * 24 * 60).map(lambda m: timedelta(minutes=m))
closed_pauses = st.lists(
    st.tuples(minutes, st.integers(0, 5 * 24 * 60).map(lambda m: timedelta(minutes=m))), max_size=3
)


def make_pauses(start, spec):
    return [Interval(start + offset, start + offset + length) for offset, length in spec]


@PROPS
@given(calendars, instants, durations, durations, closed_pauses)
def test_adding_a_then_b_equals_adding_a_plus_b(cal, start, a, b, spec):
    pauses = make_pauses(start, spec)
    assert add_business_time(add_business_time(start, a, cal), b, cal) == add_business_time(start, a + b, cal)
    assert add_business_time(add_business_time(start, a, cal, pauses), b, cal, pauses) == add_business_time(
        start, a + b, cal, pauses
    )


@PROPS
@given(calendars, instants, durations, closed_pauses, minutes)
def test_a_pause_never_makes_the_due_time_earlier(cal, start, duration, spec, ongoing_offset):
    pauses = make_pauses(start, spec)
    plain = add_business_time(start, duration, cal)
    paused = add_business_time(start, duration, cal, pauses)
    assert paused >= plain
    assert add_business_time(start, duration, cal, pauses[:1]) <= paused
    with_ongoing = add_business_time(start, duration, cal, [*pauses, Interval(start + ongoing_offset)])
    assert with_ongoing == (paused if paused < start + ongoing_offset else None)


@PROPS
@given(calendars, instants, durations, closed_pauses)
def test_due_time_is_covered_and_not_paused(cal, start, duration, spec):
    pauses = make_pauses(start, spec)
    due = add_business_time(start, duration, cal, pauses)
    assert due.tzinfo is UTC and due >= start
    assert cal.is_covered(due) and wall_clock_covered(cal, due)
    assert not any(p.start <= due < p.end for p in pauses)


@PROPS
@given(calendars, instants, durations, closed_pauses)
def test_business_time_until_due_is_the_duration(cal, start, duration, spec):
    pauses = make_pauses(start, spec)
    due = add_business_time(start, duration, cal)
    assert business_time_between(start, due, cal) == duration
    assert remaining(due, start, cal) == duration
    due = add_business_time(start, duration, cal, pauses)
    assert business_time_between(start, due, cal, pauses) == duration


@PROPS
@given(calendars, instants, durations, durations)
def test_monotonic_in_duration(cal, start, d1, d2):
    d1, d2 = sorted((d1, d2))
    due1, due2 = add_business_time(start, d1, cal), add_business_time(start, d2, cal)
    assert due1 <= due2
    assert (due1 < due2) == (d1 < d2)


@PROPS
@given(calendars, instants, durations, durations, closed_pauses)
def test_business_time_between_is_additive(cal, a, d1, d2, spec):
    pauses = make_pauses(a, spec)
    b, c = a + d1, a + d1 + d2
    total = business_time_between(a, c, cal, pauses)
    assert total == business_time_between(a, b, cal, pauses) + business_time_between(b, c, cal, pauses)
    assert timedelta(0) <= total <= c - a


@PROPS
@given(calendars, instants, durations, minutes)
def test_breached_exactly_when_now_is_past_due(cal, start, duration, offset):
    due = add_business_time(start, duration, cal)
    now = due + offset
    assert (remaining(due, now, cal) < timedelta(0)) == (now > due)
    assert (business_time_between(start, now, cal) > duration) == (now > due)


@PROPS
@given(calendars, instants)
def test_is_covered_matches_wall_clock_oracle(cal, instant):
    assert cal.is_covered(instant) == wall_clock_covered(cal, instant)
    nxt = cal.next_coverage_start(instant)
    assert nxt >= instant and cal.is_covered(nxt)
    assert business_time_between(instant, nxt, cal) == timedelta(0)
