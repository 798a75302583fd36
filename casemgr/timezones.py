"""One time zone per person (issue 19): every time on a page is shown in the viewer's zone,
and every time typed into a form is read in the zone the form states.

The viewer's zone is, in order: the one they chose in Settings; the browser's (a ``tz``
cookie that ``static/tz.js`` sets from ``Intl.DateTimeFormat``, checked against the IANA
database, never trusted as is); their organisation's site zone when all its sites share
one; UTC. Outside a request (e-mails, PDFs, the scheduler) times are UTC and say so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import g, has_request_context, request

BROWSER_COOKIE = "tz"


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_names() -> list[str]:
    """For a time zone picker: IANA names, sorted, the deprecated aliases left out."""
    return sorted(z for z in known_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/"))) + ["UTC"]


def valid_zone(name: str | None) -> str | None:
    """``name`` if it is an IANA zone this machine knows, else None (user text, so checked)."""
    name = (name or "").strip()
    return name if name in known_zones() else None


def site_zone_of(user) -> str | None:
    """The zone of the user's organisation's sites, when they all share one."""
    zones = {site.timezone for site in getattr(user.organization, "sites", ()) or ()}
    return zones.pop() if len(zones) == 1 else None


def zone_name_for(user, browser: str | None = None) -> str:
    return getattr(user, "timezone", None) or valid_zone(browser) or site_zone_of(user) or "UTC"


def viewer_zone() -> ZoneInfo:
    """The zone of the person looking at this request's page (UTC outside a request)."""
    if not has_request_context():
        return ZoneInfo("UTC")
    cached = g.get("viewer_zone")
    if cached is None:
        from flask_login import current_user

        browser = request.cookies.get(BROWSER_COOKIE)
        name = zone_name_for(current_user, browser) if current_user.is_authenticated else (valid_zone(browser) or "UTC")
        cached = g.viewer_zone = ZoneInfo(name)
    return cached


class NonexistentLocalTime(ValueError):
    """A wall-clock time the zone skips (clocks moved forward)."""


def read_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """A time typed in ``zone`` as an aware UTC instant. A time that does not exist there
    (the hour skipped when clocks go forward) is refused rather than silently moved; a
    time that exists twice (clocks go back) is read as the first."""
    local = naive.replace(tzinfo=zone, fold=0)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks move forward then)."
        )
    return local.astimezone(UTC)


def same_offset(value: datetime, first: ZoneInfo, second: ZoneInfo) -> bool:
    return value.astimezone(first).utcoffset() == value.astimezone(second).utcoffset()


def label(zone: ZoneInfo, at: datetime | None = None) -> str:
    """How a form names its zone: "Europe/Berlin, UTC+01:00"."""
    offset = (at or datetime.now(UTC)).astimezone(zone).utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{zone.key}, UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
