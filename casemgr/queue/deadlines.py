"""Keep each case's stored next deadline current, so that the queue sorts and filters in SQL.

Every service that moves a clock (opening, replies, status changes, the escalation
area's re-timing) changes the case through the ORM: a ``before_flush`` listener on
the app's sessions derives the stored fields from the case's clocks then. The
escalation runner writes its batches with one Core UPDATE instead; it calls
:func:`apply_deadline` on each case first (escalation.services).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from casemgr.cases.models import Case
from casemgr.queue.rules import ClockState, next_deadline

#: The stored fields derived from a case's clocks.
DEADLINE_FIELDS = ("next_due_at", "next_due_kind", "at_risk_at")


def clock_state(case: Case) -> ClockState:
    return ClockState(
        status=case.status,
        paused=case.sla_paused_at is not None,
        created_at=case.created_at,
        first_response_due_at=case.first_response_due_at,
        first_response_at=case.first_response_at,
        next_update_due_at=case.next_update_due_at,
        last_vendor_update_at=case.last_vendor_update_at,
        resolution_due_at=case.resolution_due_at,
    )


def apply_deadline(case: Case) -> None:
    """Set the case's stored next deadline from its clocks (only fields that differ)."""
    deadline = next_deadline(clock_state(case))
    values = (deadline.due_at, deadline.kind, deadline.at_risk_at) if deadline is not None else (None, None, None)
    for name, value in zip(DEADLINE_FIELDS, values, strict=True):
        if getattr(case, name) != value:
            setattr(case, name, value)


def keep_deadlines_current(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush`` on every session of the app (casemgr.app)."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Case) and obj.created_at is not None:
            apply_deadline(obj)
