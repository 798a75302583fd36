"""A plan's SLA targets: per severity, minutes for first response, next update and
resolution. Pure rules: checked the same way by the pages, the API and the CLI; people
enter and read them as hours and minutes."""

from __future__ import annotations

import re
from typing import Any

from casemgr.cases.rules import CaseRuleError

SEVERITIES = ("1", "2", "3", "4")
CLOCKS = ("first_response", "next_update", "resolution")
CLOCK_LABELS = {"first_response": "First response", "next_update": "Next update", "resolution": "Resolution"}
#: One year: a longer target is a typing mistake.
MAX_MINUTES = 525600


def validate_targets(targets: dict[str, Any]) -> None:
    """Every severity has all three clocks, each 1 minute to a year, and a first response
    no later than the resolution."""
    if set(targets) != set(SEVERITIES):
        raise CaseRuleError("Targets are needed for severities 1, 2, 3 and 4.")
    for severity in SEVERITIES:
        row = targets[severity]
        if not isinstance(row, dict) or set(row) != set(CLOCKS):
            raise CaseRuleError(f"Targets for severity {severity} need first_response, next_update and resolution.")
        for clock in CLOCKS:
            value = row[clock]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
                raise CaseRuleError(
                    f"Severity {severity}, {CLOCK_LABELS[clock].lower()}: between 1 minute and 8760 hours."
                )
        if row["first_response"] > row["resolution"]:
            raise CaseRuleError(f"Severity {severity}: the first response cannot come after the resolution.")


_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def validate_weekly_hours(weekly_hours: dict[str, Any]) -> None:
    """Each day's windows are ``[["08:00", "18:00"], ...]``: HH:MM local times, each
    window opening before it closes (24:00 is the end of the day)."""
    for day, windows in weekly_hours.items():
        for window in windows or []:
            if len(window) != 2 or not all(isinstance(t, str) and _CLOCK_TIME.match(t) for t in window):
                raise CaseRuleError(f"{day.title()}: hours are HH:MM to HH:MM, e.g. 08:00 to 18:00.")
            if window[0] >= window[1]:
                raise CaseRuleError(f"{day.title()}: {window[0]} to {window[1]} closes before it opens.")


def split(minutes: int) -> tuple[int, int]:
    """``150`` -> ``(2, 30)``: hours and minutes as the form shows them."""
    return divmod(int(minutes), 60)


def join(hours: int | None, minutes: int | None) -> int:
    """Hours and minutes typed in a form, as stored minutes."""
    return (hours or 0) * 60 + (minutes or 0)


def spoken(minutes: int) -> str:
    """``90`` -> ``"1 h 30 min"``, ``240`` -> ``"4 h"``, ``45`` -> ``"45 min"``."""
    hours, rest = split(minutes)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"
