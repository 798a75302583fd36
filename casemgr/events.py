"""Domain events: how the core tells rma/ and escalation/ what happened.

The core never imports those packages. Services publish small frozen
dataclasses; listeners registered by the app factory run synchronously inside
the same transaction, so whatever they write commits (or rolls back) with the
change that caused it. The bus travels in ``session.info`` so that service
signatures stay ``(session, actor, ..., now)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

Listener = Callable[[Session, Any], None]
_BUS_KEY = "casemgr.event_bus"


class EventBus:
    def __init__(self) -> None:
        self._listeners: dict[type, list[Listener]] = defaultdict(list)

    def subscribe(self, event_type: type, listener: Listener) -> None:
        self._listeners[event_type].append(listener)

    def publish(self, session: Session, event: object) -> None:
        for listener in self._listeners.get(type(event), ()):
            listener(session, event)


def attach_bus(session: Session, bus: EventBus) -> None:
    session.info[_BUS_KEY] = bus


def publish(session: Session, event: object) -> None:
    """Deliver ``event`` to the listeners of the bus bound to ``session``."""
    bus = session.info.get(_BUS_KEY)
    if bus is not None:
        bus.publish(session, event)


@dataclass(frozen=True)
class CaseOpening:
    """A case about to be inserted (no id yet): listeners may set derived fields on it,
    e.g. its SLA due times, so that the INSERT carries them (no UPDATE right after)."""

    case: Any
    at: datetime


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
