"""Ladder decisions (pure): which steps are due for a case, and when the next one is.

A step fires while its condition still holds. Each firing is keyed by
(step, episode, cycle): the episode is what the step is about (the opening, the
latest vendor update, one commitment, one customer request) and the cycle
counts repeats, so a step fires once per episode and repeat, however often or
late the runner looks. Missed repeats collapse into one late firing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from escalation.clocks import CaseFacts, Targets
from escalation.sla import CoverageCalendar, add_business_time

WALL_CLOCK = CoverageCalendar.twenty_four_seven()
#: Missed by more than this, a firing is marked late (the tick is much shorter).
LATE_AFTER = timedelta(minutes=2)
HIERARCHY = {0: "none", 1: "duty manager", 2: "support manager", 3: "director"}


@dataclass(frozen=True)
class StepSpec:
    id: int
    position: int
    name: str
    condition: str
    offset_minutes: int | None
    offset_percent: int | None
    action: str
    target: str
    repeat_minutes: int | None = None


@dataclass(frozen=True)
class Episode:
    key: str
    anchor: datetime
    #: Business clock (with pauses) for SLA conditions; wall clock for promises, requests and returns.
    business: bool
    #: What the episode is about, when a target needs it (the pending return's people).
    about: PendingReturn | None = None


@dataclass(frozen=True)
class OpenCommitment:
    id: int
    due_at: datetime


@dataclass(frozen=True)
class CustomerRequest:
    event_id: int
    at: datetime


@dataclass(frozen=True)
class PendingReturn:
    """A defective part the customer still holds after its return was due (reported by rma/)."""

    id: int
    label: str
    due_at: datetime
    #: Vendor staff to remind: the RMA's field engineer and the account team. Never the customer.
    remind_user_ids: tuple[int, ...]


@dataclass(frozen=True)
class DueFiring:
    step: StepSpec
    episode: str
    cycle: int
    due_at: datetime
    about: PendingReturn | None = None

    def late_seconds(self, now: datetime) -> int:
        late = now - self.due_at
        return int(late.total_seconds()) if late > LATE_AFTER else 0


@dataclass(frozen=True)
class LadderInput:
    facts: CaseFacts
    targets: Targets | None
    calendar: CoverageCalendar
    commitments: Sequence[OpenCommitment] = ()
    requests: Sequence[CustomerRequest] = ()
    returns: Sequence[PendingReturn] = ()


def episodes(condition: str, data: LadderInput) -> list[Episode]:
    facts = data.facts
    if condition == "return_overdue":  # the part is owed whether or not the case is still open
        return [Episode(f"rma:{r.id}", r.due_at, False, r) for r in data.returns]
    if not facts.is_open:
        return []
    if condition == "not_acknowledged":
        return [] if facts.first_response_at else [Episode("ack", facts.opened_at, True)]
    if condition == "no_update":
        anchor = facts.last_vendor_update_at or facts.first_response_at
        return [Episode(f"upd:{anchor:%Y%m%dT%H%M%S}", anchor, True)] if anchor else []
    if condition == "not_resolved":
        return [Episode("res", facts.opened_at, True)]
    if condition == "commitment_missed":
        return [Episode(f"cmt:{c.id}", c.due_at, False) for c in data.commitments]
    if condition == "customer_request":
        return [Episode(f"req:{r.event_id}", r.at, False) for r in data.requests]
    raise ValueError(f"unknown condition {condition!r}")


def step_offset(step: StepSpec, targets: Targets | None) -> timedelta | None:
    if step.offset_minutes is not None:
        return timedelta(minutes=step.offset_minutes)
    if targets is None or step.offset_percent is None:
        return None
    base = {
        "not_acknowledged": targets.first_response,
        "no_update": targets.next_update,
        "not_resolved": targets.resolution,
    }.get(step.condition)
    return None if base is None else base * step.offset_percent / 100


def _due(step: StepSpec, episode: Episode, cycle: int, offset: timedelta, data: LadderInput) -> datetime | None:
    total = offset + timedelta(minutes=(step.repeat_minutes or 0) * cycle)
    if episode.business:
        return add_business_time(episode.anchor, total, data.calendar, data.facts.pauses)
    return add_business_time(episode.anchor, total, WALL_CLOCK)


def plan(
    steps: Iterable[StepSpec], data: LadderInput, fired: set[tuple[int, str, int]], now: datetime
) -> tuple[list[DueFiring], list[DueFiring]]:
    """The firings due at ``now`` and those still to come, each oldest first."""
    due: list[DueFiring] = []
    upcoming: list[DueFiring] = []
    for step in steps:
        offset = step_offset(step, data.targets)
        if offset is None:
            continue
        for episode in episodes(step.condition, data):
            cycle, at = _latest_due_cycle(step, episode, offset, data, now)
            if at is None:
                continue  # paused: nothing runs until the customer answers
            if at <= now and (step.id, episode.key, cycle) not in fired:
                due.append(DueFiring(step, episode.key, cycle, at, episode.about))
            if at > now:
                upcoming.append(DueFiring(step, episode.key, cycle, at, episode.about))
            elif step.repeat_minutes:
                nxt = _due(step, episode, cycle + 1, offset, data)
                if nxt is not None:
                    upcoming.append(DueFiring(step, episode.key, cycle + 1, nxt, episode.about))
    order = lambda f: (f.due_at, f.step.position)  # noqa: E731
    return sorted(due, key=order), sorted(upcoming, key=order)


def _latest_due_cycle(
    step: StepSpec, episode: Episode, offset: timedelta, data: LadderInput, now: datetime
) -> tuple[int, datetime | None]:
    """The last cycle due by ``now`` (or cycle 0 if none is due yet), without walking every repeat."""
    first = _due(step, episode, 0, offset, data)
    if first is None or first > now or not step.repeat_minutes:
        return 0, first
    interval = timedelta(minutes=step.repeat_minutes)
    # Wall-clock estimate of the cycle, then correct on the real (business) clock.
    cycle = max(int((now - first) / interval), 0)
    at = _due(step, episode, cycle, offset, data)
    while cycle > 0 and (at is None or at > now):
        cycle -= 1
        at = _due(step, episode, cycle, offset, data)
    while True:
        nxt = _due(step, episode, cycle + 1, offset, data)
        if nxt is None or nxt > now:
            return cycle, at
        cycle, at = cycle + 1, nxt
