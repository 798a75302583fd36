"""Which SLA deadline of a case comes next, and when it is at risk (pure: no Flask, no session).

A case's next deadline is the earliest of its running clocks: the first response
(until it is given), the next update (once a first response was given) and the
resolution. A resolved or closed case has none, nor has a paused one (waiting on
the customer: every clock stands still).

**At risk** means the deadline is close: the time left is at most a quarter of
the clock's span (from the moment the clock started to its due time, wall-clock)
or at most one hour, whichever is the longer window. A 4-hour clock is at risk
for its last hour, a 12-hour one for its last 3 hours, a 30-minute one from its
start. **Breached** means the deadline has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: The share of a clock's span that is its at-risk window ...
AT_RISK_SHARE = 0.25
#: ... or this long, whichever is the longer.
AT_RISK_WINDOW = timedelta(hours=1)

#: The clocks, in the order that breaks a tie between equal due times.
KINDS = ("first_response", "next_update", "resolution")
KIND_LABELS = {"first_response": "First response", "next_update": "Next update", "resolution": "Resolution"}
CLOSED_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class ClockState:
    """The SLA fields of a case the next deadline is derived from."""

    status: str
    paused: bool
    created_at: datetime
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    next_update_due_at: datetime | None
    last_vendor_update_at: datetime | None
    resolution_due_at: datetime | None


@dataclass(frozen=True)
class Deadline:
    kind: str
    due_at: datetime
    #: From this instant on the deadline is at risk (see the module's docstring).
    at_risk_at: datetime


def at_risk_from(started_at: datetime, due_at: datetime) -> datetime:
    span = max(due_at - started_at, timedelta(0))
    return due_at - max(span * AT_RISK_SHARE, AT_RISK_WINDOW)


def next_deadline(state: ClockState) -> Deadline | None:
    """The earliest running clock of the case, or None when no clock runs."""
    if state.status in CLOSED_STATUSES or state.paused:
        return None
    candidates: list[tuple[datetime, int, str, datetime]] = []
    if state.first_response_at is None and state.first_response_due_at is not None:
        candidates.append((state.first_response_due_at, 0, "first_response", state.created_at))
    if state.first_response_at is not None and state.next_update_due_at is not None:
        started = state.last_vendor_update_at or state.first_response_at
        candidates.append((state.next_update_due_at, 1, "next_update", started))
    if state.resolution_due_at is not None:
        candidates.append((state.resolution_due_at, 2, "resolution", state.created_at))
    if not candidates:
        return None
    due_at, _order, kind, started = min(candidates)
    return Deadline(kind, due_at, at_risk_from(started, due_at))


def urgency(deadline_at: datetime | None, at_risk_at: datetime | None, now: datetime) -> str:
    """``breached``, ``at_risk``, ``on_track`` or ``none`` (no clock runs)."""
    if deadline_at is None:
        return "none"
    if deadline_at <= now:
        return "breached"
    if at_risk_at is not None and at_risk_at <= now:
        return "at_risk"
    return "on_track"
