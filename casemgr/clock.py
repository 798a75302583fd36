"""One clock for the whole app.

Only the edges (views, CLI, scheduler tick) ask the clock for the time; the
services and rules below receive ``now`` as an argument. Tests install a
:class:`FixedClock` so that nothing ever sleeps to wait for time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that only moves when told to (tests, ``--now`` on the CLI)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        self.current = ensure_utc(self.current)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current

    def set(self, instant: datetime) -> None:
        self.current = ensure_utc(instant)


@dataclass
class FileClock:
    """TEST ONLY: the instant written in a file, read again at every ``now()``.

    Lets a test move the time of separate processes (``casemgr scheduler``) without
    sleeping: it is used only when ``CASEMGR_TEST_CLOCK_FILE`` names the file, never by
    default. The file holds one ISO-8601 instant (a missing offset means UTC)."""

    path: Path

    def now(self) -> datetime:
        return parse_instant(self.path.read_text().strip())


def ensure_utc(value: datetime) -> datetime:
    """Refuse naive datetimes: every stored and computed time is aware UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: times must carry a time zone")
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 instant for ``--now``; a missing offset means UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
