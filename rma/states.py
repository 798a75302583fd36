"""RMA (return merchandise authorisation) lifecycle, as a pure state table.

Standard library and the core's error classes only (``casemgr.errors``, itself
pure): no Flask, no database, no clock. Callers persist the state; this module
only says which move is legal next for a given kind.

Every edge is written out per kind in ``TRANSITIONS`` (cancellation edges
included, nothing derived), so the table can be reviewed as data; the two
ship-first kinds share one literal dict for their installed-onwards tail.

advance_replacement -- the replacement ships before the defective part is back::

    requested -> approved -> shipped -> delivered -> installed
    installed -> return_pending -> returned -> analysed -> closed
    installed -> retained -> closed          (keep-your-drive)
    return_pending -> retained               (customer opts to keep it late)

return_and_replace -- nothing ships until the defective part is ``returned``::

    requested -> approved -> return_pending -> returned -> shipped
    shipped -> delivered -> installed -> analysed -> closed

    ``retained`` is deliberately not part of this kind.  The kind exists to
    wait for the defective part; a keep-your-drive case has nothing to wait
    for, so it is opened as advance_replacement instead.  Allowing
    approved -> retained -> shipped would force installed -> closed to be
    legal, which would let a returned part skip analysis: the table has no
    memory of which branch was taken, so each state's exits must be right
    whatever came before.

onsite_dispatch -- advance replacement plus a field-engineer visit::

    requested -> approved -> shipped -> delivered -> dispatched -> on_site
    on_site -> installed, or on_site -> dispatched (visit failed, revisit)
    installed onwards exactly as advance_replacement

    ``dispatched`` and ``on_site`` (``ONSITE_ONLY_STATES``) appear in no
    other kind.

Every kind: ``cancelled`` is reachable from each state *before* installed
(the states from which ``installed`` is still ahead; for return_and_replace
that includes return_pending and returned).  ``closed`` and ``cancelled``
are terminal.

``allowed_next`` returns states in ``RmaState`` declaration order, which is
lifecycle order, so ``cancelled`` always comes last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from casemgr.errors import TransitionError

__all__ = [
    "ONSITE_ONLY_STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "RmaKind",
    "RmaState",
    "TransitionRefused",
    "allowed_next",
    "is_cancellable",
    "is_terminal",
    "transition",
]


class RmaState(StrEnum):
    """All RMA states; declaration order is the order ``allowed_next`` uses."""

    REQUESTED = "requested"
    APPROVED = "approved"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    INSTALLED = "installed"
    RETURN_PENDING = "return_pending"
    RETURNED = "returned"
    ANALYSED = "analysed"
    RETAINED = "retained"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class RmaKind(StrEnum):
    ADVANCE_REPLACEMENT = "advance_replacement"
    RETURN_AND_REPLACE = "return_and_replace"
    ONSITE_DISPATCH = "onsite_dispatch"


_S = RmaState

#: States only the onsite_dispatch kind uses (the field-engineer visit).
ONSITE_ONLY_STATES: frozenset[RmaState] = frozenset({_S.DISPATCHED, _S.ON_SITE})

#: No transition leaves these, in any kind.
TERMINAL_STATES: frozenset[RmaState] = frozenset({_S.CLOSED, _S.CANCELLED})

# Shared tail of the two "replacement ships first" kinds, from installed on.
_RETURN_TAIL = {
    _S.INSTALLED: {_S.RETURN_PENDING, _S.RETAINED},
    _S.RETURN_PENDING: {_S.RETURNED, _S.RETAINED},
    _S.RETURNED: {_S.ANALYSED},
    _S.ANALYSED: {_S.CLOSED},
    _S.RETAINED: {_S.CLOSED},
    _S.CLOSED: set(),
    _S.CANCELLED: set(),
}

_RAW: dict[RmaKind, dict[RmaState, set[RmaState]]] = {
    RmaKind.ADVANCE_REPLACEMENT: {
        _S.REQUESTED: {_S.APPROVED, _S.CANCELLED},
        _S.APPROVED: {_S.SHIPPED, _S.CANCELLED},
        _S.SHIPPED: {_S.DELIVERED, _S.CANCELLED},
        _S.DELIVERED: {_S.INSTALLED, _S.CANCELLED},
        **_RETURN_TAIL,
    },
    RmaKind.RETURN_AND_REPLACE: {
        _S.REQUESTED: {_S.APPROVED, _S.CANCELLED},
        _S.APPROVED: {_S.RETURN_PENDING, _S.CANCELLED},
        _S.RETURN_PENDING: {_S.RETURNED, _S.CANCELLED},
        _S.RETURNED: {_S.SHIPPED, _S.CANCELLED},
        _S.SHIPPED: {_S.DELIVERED, _S.CANCELLED},
        _S.DELIVERED: {_S.INSTALLED, _S.CANCELLED},
        _S.INSTALLED: {_S.ANALYSED},
        _S.ANALYSED: {_S.CLOSED},
        _S.CLOSED: set(),
        _S.CANCELLED: set(),
    },
    RmaKind.ONSITE_DISPATCH: {
        _S.REQUESTED: {_S.APPROVED, _S.CANCELLED},
        _S.APPROVED: {_S.SHIPPED, _S.CANCELLED},
        _S.SHIPPED: {_S.DELIVERED, _S.CANCELLED},
        _S.DELIVERED: {_S.DISPATCHED, _S.CANCELLED},
        _S.DISPATCHED: {_S.ON_SITE, _S.CANCELLED},
        _S.ON_SITE: {_S.INSTALLED, _S.DISPATCHED, _S.CANCELLED},
        **_RETURN_TAIL,
    },
}

#: The table, read-only: kind -> state -> frozenset of legal next states.
#: A kind's keys are exactly the states that kind can be in.
TRANSITIONS: Mapping[RmaKind, Mapping[RmaState, frozenset[RmaState]]] = MappingProxyType(
    {kind: MappingProxyType({state: frozenset(nxt) for state, nxt in table.items()}) for kind, table in _RAW.items()}
)
del _RAW, _RETURN_TAIL

_ORDER = {state: i for i, state in enumerate(RmaState)}


_E = TypeVar("_E", RmaKind, RmaState)


def _names(members: Iterable[_E]) -> str:
    return ", ".join(m.value for m in members) or "none"


def _coerce(enum_cls: type[_E], value: _E | str, what: str) -> _E:
    """Accept an enum member or its string value; name the options otherwise."""
    try:
        return enum_cls(value)
    except ValueError:
        raise ValueError(f"unknown RMA {what} {value!r}; known {what}s: {_names(enum_cls)}") from None


def _table(kind: RmaKind | str, state: RmaState | str) -> tuple[RmaKind, RmaState, frozenset[RmaState]]:
    kind = _coerce(RmaKind, kind, "kind")
    state = _coerce(RmaState, state, "state")
    try:
        return kind, state, TRANSITIONS[kind][state]
    except KeyError:
        # A state that exists but not in this kind means corrupt data upstream.
        raise ValueError(
            f"state {state.value!r} is not used by RMA kind {kind.value!r}; "
            f"its states are: {_names(sorted(TRANSITIONS[kind], key=_ORDER.__getitem__))}"
        ) from None


class TransitionRefused(TransitionError):
    """A move the table does not allow; carries what *would* be allowed (409 ``conflict``,
    the details naming the current state and the allowed ones)."""

    def __init__(self, kind, current, requested, allowed) -> None:
        self.kind: RmaKind = kind
        self.current: RmaState = current
        self.requested: RmaState = requested
        self.allowed: tuple[RmaState, ...] = tuple(allowed)
        super().__init__(str(self), current=current, allowed=allowed)

    def __reduce__(self):
        # Default Exception pickling replays self.args, which is the message.
        return (type(self), (self.kind, self.current, self.requested, self.allowed))

    def __str__(self) -> str:
        return (
            f"RMA is {self.current.value!r}; cannot move to {self.requested.value!r}. "
            f"Allowed next: {_names(self.allowed)}."
        )


def allowed_next(kind: RmaKind | str, state: RmaState | str) -> tuple[RmaState, ...]:
    """Legal next states, in ``RmaState`` declaration (lifecycle) order."""
    _, _, nxt = _table(kind, state)
    return tuple(sorted(nxt, key=_ORDER.__getitem__))


def transition(kind: RmaKind | str, current: RmaState | str, target: RmaState | str) -> RmaState:
    """Return ``target`` if the table allows it, else raise TransitionRefused."""
    kind, current, nxt = _table(kind, current)
    target = _coerce(RmaState, target, "state")
    if target not in nxt:
        raise TransitionRefused(kind, current, target, allowed_next(kind, current))
    return target


def is_terminal(state: RmaState | str) -> bool:
    """True for closed and cancelled: nothing may follow them in any kind."""
    return _coerce(RmaState, state, "state") in TERMINAL_STATES


def is_cancellable(kind: RmaKind | str, state: RmaState | str) -> bool:
    """True while the replacement is not yet installed (read from the table)."""
    _, _, nxt = _table(kind, state)
    return _S.CANCELLED in nxt
