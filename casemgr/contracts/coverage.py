"""Which contract covers an asset on a given day (pure choice over loaded rows)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol, TypeVar


class _Dated(Protocol):
    starts_on: date
    ends_on: date


T = TypeVar("T", bound=_Dated)


def is_active(contract: _Dated, on: date) -> bool:
    return contract.starts_on <= on <= contract.ends_on


def pick_active(contracts: Iterable[T], on: date) -> T | None:
    """The active contract ending last, so renewals win over lapsing ones."""
    active = [c for c in contracts if is_active(c, on)]
    return max(active, key=lambda c: c.ends_on, default=None)
