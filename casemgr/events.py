"""Domain events: how the core tells rma/ and escalation/ what happened.

The core never imports those packages. Services publish small frozen
dataclasses; the listeners the areas subscribed on the app's bus
(:class:`casemgr.registry.EventBus`) run synchronously inside the same
transaction, so whatever they write commits (or rolls back) with the change
that caused it. The session knows its app's registry (its factory put it in
``session.info``), so service signatures stay ``(session, actor, ..., now)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from casemgr.registry import registry_for


def publish(session: Session, event: object) -> None:
    """Deliver ``event`` to the listeners of the app whose factory made ``session``."""
    registry = registry_for(session)
    if registry is not None:
        registry.events.publish(session, event)


@dataclass(frozen=True)
class CaseOpened:
    case_id: int
    at: datetime


@dataclass(frozen=True)
class CaseStatusChanged:
    case_id: int
    old: str
    new: str
    at: datetime


@dataclass(frozen=True)
class CaseSeverityChanged:
    case_id: int
    old: int
    new: int
    at: datetime


@dataclass(frozen=True)
class PublicReplyAdded:
    case_id: int
    by_vendor: bool
    at: datetime


@dataclass(frozen=True)
class CommitmentChanged:
    """Recorded, kept or withdrawn: the escalation schedule must be recomputed."""

    case_id: int
    commitment_id: int
    at: datetime


@dataclass(frozen=True)
class CaseDeadlinesChanged:
    """Something the case's clocks depend on changed outside the case itself (e.g. an
    RMA's return became due, or arrived): its escalation schedule must be recomputed."""

    case_id: int
    at: datetime


@dataclass(frozen=True)
class CoverageCalendarChanged:
    """A coverage calendar's hours, zone or holidays changed: the open cases on plans that
    use it must be re-timed."""

    calendar_id: int
    at: datetime
