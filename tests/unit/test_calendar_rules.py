"""Coverage hours as typed, and holidays read from .ics files and country lists (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from casemgr.contracts.hours import (
    HoursError,
    check_calendar,
    check_timezone,
    check_weekly_hours,
    day_field,
    merge_holidays,
    parse_day_field,
)
from casemgr.contracts.ics import CalendarFileError, country_holidays, holidays_from_ics


def ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\nUID:{i}@test\r\n{e}END:VEVENT\r\n" for i, e in enumerate(events))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n".encode()


def test_hours_are_sorted_and_closed_days_left_out():
    hours = check_weekly_hours(
        {"mon": [["13:00", "17:00"], ["08:00", "12:00"]], "tue": [], "sun": [["00:00", "24:00"]]}
    )
    assert hours == {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sun": [["00:00", "24:00"]]}


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        ({"mon": [["17:00", "08:00"]]}, "ends before it starts"),
        ({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}, "overlap"),
        ({"mon": [["8am", "5pm"]]}, "HH:MM"),
        ({"mon": [["24:00", "24:00"]]}, "ends before it starts"),
        ({"funday": [["08:00", "12:00"]]}, "Unknown day"),
        ({"mon": [["08:00"]]}, "pair of times"),
    ],
)
def test_bad_hours_are_refused_with_the_reason(hours, words):
    with pytest.raises(HoursError, match=words):
        check_weekly_hours(hours)


def test_a_business_calendar_needs_some_hours_and_a_real_zone():
    with pytest.raises(HoursError, match="needs opening hours"):
        check_calendar(False, {})
    assert check_calendar(True, {}) == {}
    with pytest.raises(HoursError, match="Unknown time zone"):
        check_timezone("Mars/Olympus")
    assert check_timezone("  ") is None and check_timezone("Europe/Berlin") == "Europe/Berlin"


def test_the_form_field_round_trips():
    parsed = parse_day_field("mon", "08:00-12:00, 13:00-17:00")
    assert parsed == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert day_field(parsed) == "08:00-12:00, 13:00-17:00"
    assert parse_day_field("mon", "") == []
    with pytest.raises(HoursError, match="08:00-17:00"):
        parse_day_field("mon", "08:00 to 17:00")


def test_merging_holidays_reports_only_the_new_ones():
    merged, new = merge_holidays(["2026-12-25"], [date(2026, 12, 25), date(2026, 12, 24)])
    assert merged == ["2026-12-24", "2026-12-25"] and new == ["2026-12-24"]


def test_all_day_events_become_holidays_and_multi_day_events_expand():
    found = holidays_from_ics(
        ics(
            "DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\n",
            "DTSTART;VALUE=DATE:20261231\r\nSUMMARY:New Year's Eve\r\n",
            "DTSTART:20261102T100000Z\r\nDTEND:20261102T110000Z\r\nSUMMARY:Staff meeting\r\n",
        ),
        until=date(2027, 12, 31),
    )
    assert sorted(found.dates) == [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 31)]
    assert found.skipped_timed == 1
    assert (date(2026, 12, 25), "Christmas") in found.named


def test_a_yearly_all_day_event_repeats_until_the_horizon():
    found = holidays_from_ics(
        ics("DTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Christmas\r\n"), until=date(2028, 12, 31)
    )
    assert sorted(found.dates) == [date(2026, 12, 25), date(2027, 12, 25), date(2028, 12, 25)]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"this is a spreadsheet, not a calendar", "not an iCalendar"),
        (ics(), "no all-day event"),
        (ics("DTSTART:20261102T100000Z\r\nSUMMARY:Meeting\r\n"), "1 timed event"),
        (ics("DTSTART;VALUE=DATE:2026x\r\n"), "cannot be read"),
        (ics("DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20270101\r\n"), "lasts 365 days"),
        (ics("SUMMARY:No start\r\n"), "no start date"),
    ],
)
def test_bad_files_are_refused_with_a_clear_reason(data, words):
    with pytest.raises(CalendarFileError, match=words):
        holidays_from_ics(data, until=date(2030, 1, 1))


def test_country_holidays_come_from_the_holidays_package():
    german = dict(country_holidays("de", [2026]))
    assert german[date(2026, 10, 3)] == "German Unity Day"
    bavarian = dict(country_holidays("DE", [2026], "BY"))
    assert date(2026, 1, 6) in bavarian and date(2026, 1, 6) not in german
    with pytest.raises(CalendarFileError, match="no public holidays known"):
        country_holidays("XX", [2026])
