"""Coverage hours as operators type them, checked before a calendar is saved (pure).

The stored form is ``{"mon": [["08:00", "17:00"]], ...}`` with ``24:00`` as the end of a
day; a form field reads ``08:00-12:00, 13:00-17:00``. The SLA arithmetic
(``escalation/sla.py``) reads the same form; what passes here it accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = dict(
    zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
#: A calendar keeps at most this many holiday dates (decades of public holidays).
MAX_HOLIDAYS = 2000


class HoursError(ValueError):
    """Hours, a time zone or a holiday that cannot be saved; the message says which and why."""


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def check_timezone(name: str | None) -> str | None:
    """An IANA zone name, or None (the covered asset's site time zone)."""
    if name is None or not name.strip():
        return None
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.") from None
    return name


def check_weekly_hours(hours: Mapping[str, Iterable[Iterable[str]]]) -> dict[str, list[list[str]]]:
    """The hours in stored form, sorted; days without hours left out."""
    unknown = set(hours) - set(DAYS)
    if unknown:
        raise HoursError(f"Unknown day(s) {', '.join(sorted(map(str, unknown)))}; use {', '.join(DAYS)}.")
    result: dict[str, list[list[str]]] = {}
    for day in DAYS:
        intervals = []
        for interval in hours.get(day) or ():
            pair = list(interval)
            if len(pair) != 2 or not all(isinstance(t, str) and _TIME.match(t) for t in pair):
                raise HoursError(f"{DAY_LABELS[day]}: {pair!r} is not a pair of times HH:MM (24:00 ends the day).")
            if pair[0] == "24:00" or _minutes(pair[1]) <= _minutes(pair[0]):
                raise HoursError(f"{DAY_LABELS[day]}: {pair[0]}-{pair[1]} ends before it starts.")
            intervals.append(pair)
        intervals.sort(key=lambda p: _minutes(p[0]))
        for before, after in zip(intervals, intervals[1:], strict=False):
            if _minutes(after[0]) < _minutes(before[1]):
                raise HoursError(f"{DAY_LABELS[day]}: {before[0]}-{before[1]} and {after[0]}-{after[1]} overlap.")
        if intervals:
            result[day] = intervals
    return result


def parse_day_field(day: str, text: str) -> list[list[str]]:
    """``"08:00-12:00, 13:00-17:00"`` -> ``[["08:00", "12:00"], ["13:00", "17:00"]]``; empty: closed."""
    intervals = []
    for chunk in filter(None, (c.strip() for c in (text or "").split(","))):
        start, sep, end = chunk.partition("-")
        if not sep:
            raise HoursError(f"{DAY_LABELS[day]}: write hours as 08:00-17:00, several separated by commas.")
        intervals.append([start.strip(), end.strip()])
    return intervals


def day_field(intervals: Iterable[Iterable[str]]) -> str:
    return ", ".join("-".join(pair) for pair in intervals)


def check_calendar(always: bool, weekly_hours: Mapping) -> dict[str, list[list[str]]]:
    hours = check_weekly_hours(weekly_hours)
    if not always and not hours:
        raise HoursError("A business-hours calendar needs opening hours on at least one day (or make it 24x7).")
    return hours


def merge_holidays(existing: Iterable[str], added: Iterable[date]) -> tuple[list[str], list[str]]:
    """(all holidays sorted, the ones that are new)."""
    have = set(existing)
    new = sorted({d.isoformat() for d in added} - have)
    merged = sorted(have | set(new))
    if len(merged) > MAX_HOLIDAYS:
        raise HoursError(f"A calendar keeps at most {MAX_HOLIDAYS} holidays; remove past ones first.")
    return merged, new
