"""SLA clock arithmetic: business time over coverage calendars and pauses.

Pure domain code (standard library only) so it can be tested exhaustively
without Flask or a database.  No function reads the wall clock: every instant
is an argument, and instants in and out are timezone-aware UTC datetimes.

Coverage follows the wall clock of the calendar's timezone: an instant is
covered when the local clock shows a time inside an opening interval on a
non-holiday date.  On DST days a window therefore lasts more or less real time
(00:00-24:00 is 23h or 25h), and a boundary inside a skipped hour takes effect
when the clocks jump.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1)
_MAX_IDLE_DAYS = 3700  # ~10 years without any window: a misconfiguration, not a due date

Span = tuple[datetime, datetime]


def _utc(instant: datetime, name: str = "instant") -> datetime:
    """Reject naive datetimes: a wall time without a zone cannot be placed on the clock."""
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {instant!r}")
    return instant.astimezone(UTC)


def _fmt(t: time, end: bool = False) -> str:
    if end and t == _MIDNIGHT:
        return "24:00"
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def _parse_time(text: str) -> time:
    if text == "24:00":
        return _MIDNIGHT
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid time {text!r}") from exc


@dataclass(frozen=True)
class CoverageCalendar:
    """When the SLA clock runs: local opening hours, holidays, or 24x7."""

    timezone: str
    weekly_hours: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = frozenset()
    always: bool = False
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _key: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        hours: dict[int, tuple[tuple[time, time], ...]] = {}
        for day, intervals in dict(self.weekly_hours).items():
            if isinstance(day, bool) or day not in range(7):
                raise ValueError(f"weekday must be 0 (Mon) .. 6 (Sun), got {day!r}")
            norm = tuple(sorted((s, e) for s, e in intervals))
            prev_end = None
            for s, e in norm:
                if (
                    not (isinstance(s, time) and isinstance(e, time))
                    or s.tzinfo
                    or e.tzinfo
                    or s.microsecond
                    or e.microsecond
                ):
                    raise ValueError(f"opening hours must be naive whole-second times, got {(s, e)!r}")
                if e != _MIDNIGHT and e <= s:
                    raise ValueError(f"empty or inverted interval {_fmt(s)}-{_fmt(e, True)}")
                if prev_end is not None and (prev_end == _MIDNIGHT or s < prev_end):
                    raise ValueError(f"overlapping intervals on {_DAY_NAMES[day]}")
                prev_end = e
            if norm:
                hours[day] = norm
        if not self.always and not hours:
            raise ValueError("a calendar that is not 24x7 needs opening hours")
        holidays = frozenset(self.holidays)
        if any(isinstance(h, datetime) or not isinstance(h, date) for h in holidays):
            raise ValueError("holidays must be dates")
        always = bool(self.always)
        frozen_hours = MappingProxyType(dict(sorted(hours.items())))
        for name, value in (
            ("weekly_hours", frozen_hours),
            ("holidays", holidays),
            ("always", always),
            ("_tz", tz),
            ("_key", hash((self.timezone, tuple(hours.items()), holidays, always))),
        ):
            object.__setattr__(self, name, value)

    def __hash__(self) -> int:
        return self._key

    @classmethod
    def twenty_four_seven(cls) -> CoverageCalendar:
        return cls("UTC", {}, always=True)

    @classmethod
    def business_hours(
        cls, timezone: str, start: time, end: time, weekdays=range(0, 5), holidays=()
    ) -> CoverageCalendar:
        return cls(timezone, {d: ((start, end),) for d in weekdays}, frozenset(holidays))

    @classmethod
    def from_dict(cls, data: dict, default_timezone: str) -> CoverageCalendar:
        """Parse the stored JSON form; a null timezone means "the site's timezone"."""
        unknown = set(data) - {"always", "timezone", "weekly_hours", "holidays"}
        if unknown:
            raise ValueError(f"unknown calendar keys: {sorted(unknown)}")
        hours = {}
        for name, intervals in (data.get("weekly_hours") or {}).items():
            if str(name).lower() not in _DAY_NAMES:
                raise ValueError(f"unknown weekday {name!r}")
            hours[_DAY_NAMES.index(name.lower())] = tuple((_parse_time(s), _parse_time(e)) for s, e in intervals)
        try:
            holidays = frozenset(date.fromisoformat(h) for h in data.get("holidays") or ())
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid holiday in {data.get('holidays')!r}") from exc
        always = data.get("always", False)
        if not isinstance(always, bool):
            raise ValueError(f"'always' must be true or false, got {always!r}")
        return cls(data.get("timezone") or default_timezone, hours, holidays, always)

    def to_dict(self) -> dict:
        return {
            "always": self.always,
            "timezone": self.timezone,
            "weekly_hours": {
                _DAY_NAMES[d]: [[_fmt(s), _fmt(e, True)] for s, e in iv] for d, iv in self.weekly_hours.items()
            },
            "holidays": sorted(h.isoformat() for h in self.holidays),
        }

    def is_covered(self, instant: datetime) -> bool:
        instant = _utc(instant)
        return self.next_coverage_start(instant) == instant

    def next_coverage_start(self, instant: datetime) -> datetime:
        """The first covered instant at or after `instant`."""
        return next(self._windows_from(_utc(instant)))[0]

    def describe(self) -> str:
        if self.always:
            return "24x7"
        groups: dict[tuple, list[int]] = {}
        for day, intervals in self.weekly_hours.items():
            groups.setdefault(intervals, []).append(day)
        parts = []
        for intervals, days in groups.items():
            runs, run = [], [days[0]]
            for d in days[1:]:
                if d == run[-1] + 1:
                    run.append(d)
                else:
                    runs.append(run)
                    run = [d]
            runs.append(run)
            names = ", ".join(
                _DAY_NAMES[r[0]].title() + (f"-{_DAY_NAMES[r[-1]].title()}" if len(r) > 1 else "") for r in runs
            )
            hours = ", ".join(f"{_fmt(s)}-{_fmt(e, True)}" for s, e in intervals)
            parts.append(f"{names} {hours}")
        text = f"{'; '.join(parts)} {self.timezone}"
        if self.holidays:
            n = len(self.holidays)
            text += f", {n} holiday{'s' if n != 1 else ''}"
        return text

    def _windows_from(self, start: datetime) -> Iterator[Span]:
        """Covered UTC spans [a, b) with b > start, in order, clipped to start."""
        if self.always:
            yield start, _FAR_FUTURE
            return
        day = start.astimezone(self._tz).date() - _ONE_DAY  # margin for odd midnight transitions
        idle = 0
        while True:
            windows = _day_windows(self, day)
            for a, b in windows:
                if b > start:
                    yield max(a, start), b
            idle = 0 if windows else idle + 1
            if idle > _MAX_IDLE_DAYS:
                raise ValueError(f"calendar has no coverage for years after {day}")
            day += _ONE_DAY


@functools.lru_cache(maxsize=8192)
def _day_windows(cal: CoverageCalendar, day: date) -> tuple[Span, ...]:
    """A local date's opening intervals as UTC spans (cached: DST maths is the costly part)."""
    if day in cal.holidays:
        return ()
    spans: list[Span] = []
    for s, e in cal.weekly_hours.get(day.weekday(), ()):
        end_day = day + _ONE_DAY if e == _MIDNIGHT else day
        spans.extend(_preimage(cal._tz, datetime.combine(day, s), datetime.combine(end_day, e)))
    spans.sort()
    merged: list[Span] = []
    for a, b in spans:
        if merged and merged[-1][1] == a:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return tuple(merged)


def _preimage(tz: ZoneInfo, start: datetime, end: datetime) -> list[Span]:
    """UTC spans during which the local wall clock reads a time in [start, end).

    Assumes at most one UTC-offset change inside the window (true of real zones).
    """
    a, b = start.replace(tzinfo=tz), end.replace(tzinfo=tz)
    before, after = a.utcoffset(), b.replace(fold=1).utcoffset()
    assert before is not None and after is not None  # a ZoneInfo always has an offset
    if before == after:
        return [((start - before).replace(tzinfo=UTC), (end - before).replace(tzinfo=UTC))]
    # Bisect (in whole seconds) for the transition instant between the two offsets.
    lo = (min(start - before, start - after) - _EPOCH) // _SECOND
    hi = -(-(max(end - before, end - after) - _EPOCH) // _SECOND)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    switch = _EPOCH + timedelta(seconds=hi)
    pieces = [(start - before, min(end - before, switch)), (max(start - after, switch), end - after)]
    spans = [(p.replace(tzinfo=UTC), q.replace(tzinfo=UTC)) for p, q in pieces if p < q]
    if len(spans) == 2 and spans[0][1] == spans[1][0]:
        spans = [(spans[0][0], spans[1][1])]
    return spans


@dataclass(frozen=True)
class Interval:
    """A pause of the SLA clock, [start, end); end None = the pause is still going on."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        _utc(self.start, "pause start")
        if self.end is not None and _utc(self.end, "pause end") < _utc(self.start):
            raise ValueError("pause ends before it starts")


def _merge_pauses(pauses: Sequence[Interval]) -> list[tuple[datetime, datetime | None]]:
    if not pauses:
        return []
    items = sorted(((_utc(p.start), None if p.end is None else _utc(p.end)) for p in pauses), key=lambda item: item[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for s, e in items:
        if e is not None and e <= s:
            continue
        if merged and (merged[-1][1] is None or s <= merged[-1][1]):
            last_end = merged[-1][1]
            merged[-1] = (merged[-1][0], None if last_end is None or e is None else max(last_end, e))
        else:
            merged.append((s, e))
    return merged


def _free_spans(calendar: CoverageCalendar, start: datetime, pauses: Sequence[Interval]) -> Iterator[Span]:
    """Covered, un-paused spans from `start` on; ends only where an ongoing pause begins."""
    merged, i = _merge_pauses(pauses), 0
    for a, b in calendar._windows_from(start):
        while a < b:
            while i < len(merged) and (pause_end := merged[i][1]) is not None and pause_end <= a:
                i += 1
            if i == len(merged) or merged[i][0] >= b:
                yield a, b
                break
            p_start, p_end = merged[i]
            if p_start > a:
                yield a, p_start
            if p_end is None:
                return
            a = max(a, p_end)


def add_business_time(
    start: datetime, duration: timedelta, calendar: CoverageCalendar, pauses: Sequence[Interval] = ()
) -> datetime | None:
    """The instant at which `duration` of covered, un-paused time has elapsed after `start`.

    Precisely: the last instant before more than `duration` has elapsed, which is
    always covered and un-paused -- so a zero duration moves `start` forward to the
    next covered instant, and a target used up exactly at closing time is due when
    coverage resumes.  Hence `now > due` <=> breached.  Returns None when an ongoing
    pause (end=None) begins before the target is used up: the due time is unknown
    until the pause ends.  A pause that began after the due time does not hide it.
    """
    start = _utc(start, "start")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if calendar.always and not pauses:
        return start + duration  # 24x7 and never paused: wall-clock time (the common case)
    left = duration
    for a, b in _free_spans(calendar, start, pauses):
        if left < b - a:
            return a + left
        left -= b - a
    return None


def business_time_between(
    start: datetime, end: datetime, calendar: CoverageCalendar, pauses: Sequence[Interval] = ()
) -> timedelta:
    """Covered, un-paused time in [start, end); zero when end <= start."""
    start, end = _utc(start, "start"), _utc(end, "end")
    total = timedelta(0)
    if end <= start:
        return total
    for a, b in _free_spans(calendar, start, pauses):
        if a >= end:
            break
        total += min(b, end) - a
    return total


def remaining(due: datetime, now: datetime, calendar: CoverageCalendar, pauses: Sequence[Interval] = ()) -> timedelta:
    """Business time left until `due`; negative = breached by that much business time.

    Both signs count business time so "2h overdue" means two working hours of
    neglect, not a weekend.  Zero means due right now (not yet breached).
    """
    due, now = _utc(due, "due"), _utc(now, "now")
    if now <= due:
        return business_time_between(now, due, calendar, pauses)
    return -business_time_between(due, now, calendar, pauses)
