"""The three SLA clocks of a case, from its facts (pure: no Flask, no session).

Pauses come from the timeline (every span spent waiting on the customer), so
recomputing after a severity or plan change keeps every pause already accrued.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from escalation.sla import CoverageCalendar, Interval, add_business_time

CLOSED_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class Targets:
    first_response: timedelta
    next_update: timedelta
    resolution: timedelta

    @classmethod
    def from_plan(cls, targets: dict, severity: int) -> Targets | None:
        row = targets.get(str(severity))
        if not row:
            return None
        return cls(*(timedelta(minutes=int(row[k])) for k in ("first_response", "next_update", "resolution")))


@dataclass(frozen=True)
class CaseFacts:
    opened_at: datetime
    status: str
    first_response_at: datetime | None
    last_vendor_update_at: datetime | None
    resolved_at: datetime | None
    pauses: tuple[Interval, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def paused(self) -> bool:
        return any(p.end is None for p in self.pauses)


@dataclass(frozen=True)
class SlaDues:
    first_response: datetime | None
    next_update: datetime | None
    resolution: datetime | None


def pauses_from_status_changes(changes: Iterable[tuple[datetime, str, str]]) -> tuple[Interval, ...]:
    """[(at, from, to), ...] in time order -> the spans spent in waiting_customer."""
    pauses: list[Interval] = []
    started: datetime | None = None
    for at, _old, new in changes:
        if new == "waiting_customer" and started is None:
            started = at
        elif new != "waiting_customer" and started is not None:
            pauses.append(Interval(started, at))
            started = None
    if started is not None:
        pauses.append(Interval(started, None))
    return tuple(pauses)


def compute_dues(facts: CaseFacts, targets: Targets, calendar: CoverageCalendar) -> SlaDues:
    """Due times on the plan's clock; None where a clock does not apply or is paused."""
    pauses: Sequence[Interval] = facts.pauses
    first = add_business_time(facts.opened_at, targets.first_response, calendar, pauses)
    resolution = add_business_time(facts.opened_at, targets.resolution, calendar, pauses)
    update = None
    if facts.first_response_at is not None and facts.is_open:
        anchor = facts.last_vendor_update_at or facts.first_response_at
        update = add_business_time(anchor, targets.next_update, calendar, pauses)
    return SlaDues(first, update, resolution)


def breaches(facts: CaseFacts, dues: SlaDues, now: datetime) -> tuple[bool, bool]:
    """(first response breached, resolution breached), as of ``now`` or the event that stopped the clock."""
    first_done = facts.first_response_at or now
    resolved = facts.resolved_at or now
    return (
        dues.first_response is not None and first_done > dues.first_response,
        dues.resolution is not None and resolved > dues.resolution,
    )
