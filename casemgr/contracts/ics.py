"""Holidays from an iCalendar (.ics) file or a country's public holidays (pure).

Every all-day VEVENT becomes holidays: each date from DTSTART up to (not including)
DTEND, so multi-day events expand; a yearly or other recurring all-day event expands
up to ``until``. Timed events (a meeting at 10:00) are not holidays: they are counted
and skipped. A file that is not iCalendar, or has no all-day event, is refused with a
message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import holidays as public_holidays
import icalendar
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]  # icalendar's own dependency

#: One event never spans more than this (a year-long "holiday" is a mistake in the file).
MAX_EVENT_DAYS = 60
MAX_BYTES = 2 * 1024 * 1024


class CalendarFileError(ValueError):
    """The file cannot be read as holidays; the message says why."""


@dataclass
class IcsHolidays:
    dates: set[date] = field(default_factory=set)
    #: (date, summary) for each holiday, for the operator's report.
    named: list[tuple[date, str]] = field(default_factory=list)
    skipped_timed: int = 0


def _day(value) -> date | None:
    """The date of an all-day DTSTART/DTEND, None for a timed one."""
    try:
        dt = getattr(value, "dt", None)
    except icalendar.BrokenCalendarProperty as exc:  # a value icalendar could not parse
        raise CalendarFileError(f"a date in the file cannot be read ({exc})") from None
    if isinstance(dt, datetime):
        return None
    if isinstance(dt, date):
        return dt
    raise CalendarFileError(f"a date in the file cannot be read: {getattr(value, 'to_ical', lambda: value)()!r}")


def holidays_from_ics(data: bytes, *, until: date) -> IcsHolidays:
    if len(data) > MAX_BYTES:
        raise CalendarFileError(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")
    if not data.strip():
        raise CalendarFileError("the file is empty")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise CalendarFileError(f"this is not an iCalendar (.ics) file: {exc}") from None
    result = IcsHolidays()
    for event in calendar.walk("VEVENT"):
        if event.get("DTSTART") is None:
            raise CalendarFileError("an event has no start date (DTSTART)")
        start = _day(event.get("DTSTART"))
        if start is None:
            result.skipped_timed += 1
            continue
        end = _day(event["DTEND"]) if event.get("DTEND") is not None else None
        if end is None:
            duration = getattr(event.get("DURATION"), "dt", None)
            length = max(duration.days, 1) if isinstance(duration, timedelta) else 1
        else:
            length = (end - start).days
        summary = str(event.get("SUMMARY") or "holiday")
        if not 1 <= length <= MAX_EVENT_DAYS:
            raise CalendarFileError(
                f"the event {summary!r} on {start} lasts {length} days (1 to {MAX_EVENT_DAYS} days are accepted)"
            )
        starts = [start]
        if event.get("RRULE") is not None:
            text = event["RRULE"].to_ical()
            try:
                rule_text = text.decode() if isinstance(text, bytes) else str(text)
                rule = rrulestr(rule_text, dtstart=datetime.combine(start, datetime.min.time()))
            except (ValueError, TypeError) as exc:
                raise CalendarFileError(f"the repeat rule of {summary!r} cannot be read: {exc}") from None
            starts = [
                d.date()
                for d in rule.between(
                    datetime.combine(start, datetime.min.time()), datetime.combine(until, datetime.min.time()), inc=True
                )
            ]
        for first in starts:
            for offset in range(length):
                day = first + timedelta(days=offset)
                if day not in result.dates:
                    result.dates.add(day)
                    result.named.append((day, summary))
    if not result.dates:
        extra = f" ({result.skipped_timed} timed event(s) skipped)" if result.skipped_timed else ""
        raise CalendarFileError(f"the file has no all-day event to use as a holiday{extra}")
    result.named.sort()
    return result


def country_holidays(country: str, years: list[int], subdiv: str | None = None) -> list[tuple[date, str]]:
    """A country's (and optionally a region's) public holidays, from the ``holidays`` package."""
    try:
        found = public_holidays.country_holidays(country.strip().upper(), subdiv=subdiv or None, years=years)
    except NotImplementedError as exc:
        raise CalendarFileError(
            f"no public holidays known for {country!r}{f'/{subdiv}' if subdiv else ''}: {exc}"
        ) from None
    return sorted(found.items())
