"""Pure reporting rules: SLA state, urgency order, periods and buckets.

No Flask, no session: the dashboard, the partner page, the PDF and the digest
all classify and bucket through these functions, and unit tests pin them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

ON_TRACK, AT_RISK, BREACHED = "on_track", "at_risk", "breached"
SLA_STATES = (BREACHED, AT_RISK, ON_TRACK)
SLA_LABELS = {ON_TRACK: "On track", AT_RISK: "At risk", BREACHED: "Breached"}
#: A clock is "at risk" once less than this share of its span (opening to due) remains...
AT_RISK_SHARE = 0.25
#: ...or less than this, whichever is larger: a 15-minute target is at risk from the start.
AT_RISK_MIN = timedelta(minutes=30)


@dataclass(frozen=True)
class SlaClocks:
    """The SLA columns of a case, as the escalation package maintains them."""

    created_at: datetime
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    first_response_breached: bool
    next_update_due_at: datetime | None
    next_update_breaches: int
    resolution_due_at: datetime | None
    resolution_breached: bool
    sla_paused_at: datetime | None


@dataclass(frozen=True)
class SlaState:
    state: str
    #: The earliest pending due time (None when paused or nothing is pending).
    next_due: datetime | None
    paused: bool = False

    @property
    def label(self) -> str:
        return SLA_LABELS[self.state] + (" (paused)" if self.paused else "")


def pending_dues(c: SlaClocks) -> list[datetime]:
    dues = []
    if c.first_response_at is None and c.first_response_due_at is not None:
        dues.append(c.first_response_due_at)
    dues += [d for d in (c.next_update_due_at, c.resolution_due_at) if d is not None]
    return dues


def sla_state(c: SlaClocks, now: datetime) -> SlaState:
    """Breached if a breach was recorded or a pending due time has passed (the
    clock is honest even before the runner's next pass); at risk when the next
    due time is close; a paused clock (waiting on the customer) does not run."""
    dues = pending_dues(c)
    next_due = min(dues) if dues else None
    recorded = c.first_response_breached or c.resolution_breached or c.next_update_breaches > 0
    paused = c.sla_paused_at is not None
    if recorded or (not paused and next_due is not None and next_due <= now):
        return SlaState(BREACHED, next_due, paused)
    if paused or next_due is None:
        return SlaState(ON_TRACK, None if paused else next_due, paused)
    window = max((next_due - c.created_at) * AT_RISK_SHARE, AT_RISK_MIN)
    return SlaState(AT_RISK if next_due - now <= window else ON_TRACK, next_due, paused)


_FAR = datetime.max.replace(tzinfo=UTC)


def urgency_key(state: SlaState, severity: int, created_at: datetime) -> tuple:
    """Most urgent first: breached, then at risk, then on track; within each,
    severity 1 first, then the earliest next due time, then the oldest case."""
    return (SLA_STATES.index(state.state), severity, state.next_due or _FAR, created_at)


@dataclass(frozen=True)
class Period:
    """Whole UTC days, both ends included (as people write a quarter)."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        """Exclusive upper bound: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def contains(self, at: datetime | None) -> bool:
        return at is not None and self.start_at <= at < self.end_at

    @property
    def label(self) -> str:
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    def weeks(self) -> list[date]:
        """Mondays of the ISO weeks that overlap the period."""
        monday = self.start - timedelta(days=self.start.weekday())
        out = []
        while monday <= self.end:
            out.append(monday)
            monday += timedelta(days=7)
        return out

    def months(self) -> list[date]:
        out, month = [], self.start.replace(day=1)
        while month <= self.end:
            out.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return out


def default_period(today: date) -> Period:
    """The last 13 weeks up to today: a quarter's worth, always with current data."""
    return Period(today - timedelta(days=90), today)


def parse_period(start: str | None, end: str | None, today: date, max_days: int = 731) -> Period:
    """From ?from=YYYY-MM-DD&to=YYYY-MM-DD; anything invalid falls back to the default."""
    try:
        period = Period(date.fromisoformat(start or ""), date.fromisoformat(end or ""))
    except ValueError:
        return default_period(today)
    if period.end < period.start or (period.end - period.start).days > max_days:
        return default_period(today)
    return period


def week_of(at: datetime) -> date:
    d = at.astimezone(UTC).date()
    return d - timedelta(days=d.weekday())


def month_of(at: datetime) -> date:
    return at.astimezone(UTC).date().replace(day=1)


def iso_week_key(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def median_or_none(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(median(values), 1) if values else None


def commitment_missed(status: str, due_at: datetime, kept_at: datetime | None, now: datetime) -> bool:
    """Missed: still open past its due time, kept late, or recorded as missed."""
    if status == "missed":
        return True
    if status == "open":
        return due_at < now
    if status == "kept":
        return kept_at is not None and kept_at > due_at
    return False
