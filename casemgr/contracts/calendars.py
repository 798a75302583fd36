"""Coverage calendars as administration: create, edit hours and time zone, holidays
(by hand, from an .ics file, or a country's public holidays). Support managers and
administrators only; each change is audited and re-times the open cases it touches
(the ``CoverageCalendarChanged`` event: escalation/ re-computes their SLA clocks).

``actor`` None is the command line: a shell on the server is trusted, and the audit
entry says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr import audit, events
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.concurrency import detect_conflicts
from casemgr.contracts import hours as rules
from casemgr.contracts.ics import CalendarFileError, country_holidays, holidays_from_ics
from casemgr.contracts.models import BusinessCalendar, SupportPlan
from casemgr.errors import ConflictError, ForbiddenError, InvalidInput, NotFoundError, RuleError

MANAGERS = (Role.SUPPORT_MANAGER, Role.ADMIN)
#: ``update_calendar(timezone=KEEP)``: leave the time zone as it is (None means the site's zone).
KEEP: Any = object()


class CalendarRuleError(RuleError):
    """Hours, holidays or a file that cannot be saved (422 ``rule_violation``)."""


def may_manage(actor: User | None) -> bool:
    return actor is None or actor.role in MANAGERS


def require_manager(actor: User | None) -> None:
    if not may_manage(actor):
        raise ForbiddenError("Only support managers and administrators manage coverage calendars.")


def list_calendars(session: Session, actor: User | None) -> list[BusinessCalendar]:
    require_manager(actor)
    return list(session.scalars(select(BusinessCalendar).order_by(BusinessCalendar.name)))


def get_calendar(session: Session, actor: User | None, calendar_id: int) -> BusinessCalendar:
    require_manager(actor)
    calendar = session.get(BusinessCalendar, calendar_id)
    if calendar is None:
        raise NotFoundError(f"No coverage calendar {calendar_id}.")
    return calendar


def calendar_by_name(session: Session, actor: User | None, name: str) -> BusinessCalendar:
    require_manager(actor)
    calendar = session.scalar(select(BusinessCalendar).where(BusinessCalendar.name == name.strip()))
    if calendar is None:
        raise NotFoundError(f"No coverage calendar named {name!r}.")
    return calendar


def plans_using(session: Session, calendar: BusinessCalendar) -> list[str]:
    return list(session.scalars(select(SupportPlan.code).where(SupportPlan.calendar_id == calendar.id)))


def _checked(fn, *args):
    try:
        return fn(*args)
    except rules.HoursError as exc:
        raise CalendarRuleError(str(exc)) from None


def _name(session: Session, name: str, calendar_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise CalendarRuleError("A calendar needs a name of 1 to 100 characters.")
    clash = select(func.count(BusinessCalendar.id)).where(BusinessCalendar.name == name)
    if calendar_id is not None:
        clash = clash.where(BusinessCalendar.id != calendar_id)
    if session.scalar(clash):
        raise ConflictError(f"A calendar named {name!r} already exists.")
    return name


def _commit(session: Session, calendar: BusinessCalendar, actor, action: str, summary: str, now: datetime) -> None:
    session.flush()
    audit.record(session, actor, action, "calendar", calendar.id, f"{calendar.name}: {summary}", now)
    events.publish(session, events.CoverageCalendarChanged(calendar.id, now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError("A calendar with that name already exists.") from None


def create_calendar(
    session: Session,
    actor: User | None,
    *,
    name: str,
    always: bool,
    timezone: str | None,
    weekly_hours: dict[str, Any],
    holidays: Iterable[date] = (),
    now: datetime,
) -> BusinessCalendar:
    require_manager(actor)
    calendar = BusinessCalendar(
        name=_name(session, name),
        always=bool(always),
        timezone=_checked(rules.check_timezone, timezone),
        weekly_hours={} if always else _checked(rules.check_calendar, always, weekly_hours),
        holidays=_checked(rules.merge_holidays, [], holidays)[0],
    )
    session.add(calendar)
    session.flush()
    _commit(session, calendar, actor, "calendar.created", calendar.describe(), now)
    return calendar


def _check_version(calendar: BusinessCalendar, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != calendar.version:
        raise ConflictError(
            f"The calendar {calendar.name!r} was changed by someone else (version {calendar.version}, "
            f"you edited version {expected_version}). Reload and try again."
        )


@detect_conflicts("calendar")
def update_calendar(
    session: Session,
    actor: User | None,
    calendar: BusinessCalendar,
    *,
    expected_version: int | None,
    now: datetime,
    name: str | None = None,
    always: bool | None = None,
    timezone: str | None = KEEP,
    weekly_hours: dict[str, Any] | None = None,
    holidays: Iterable[date] | None = None,
) -> BusinessCalendar:
    """Change what is given (``timezone=None`` means the site's zone; leave it out to keep it)."""
    require_manager(actor)
    _check_version(calendar, expected_version)
    before = calendar.describe()
    new_always = calendar.always if always is None else bool(always)
    new_hours = calendar.weekly_hours if weekly_hours is None else weekly_hours
    checked_hours = _checked(rules.check_calendar, new_always, new_hours)
    if name is not None:
        calendar.name = _name(session, name, calendar.id)
    calendar.always = new_always
    calendar.weekly_hours = checked_hours
    if timezone is not KEEP:
        calendar.timezone = _checked(rules.check_timezone, timezone)
    if holidays is not None:
        calendar.holidays = _checked(rules.merge_holidays, [], holidays)[0]
    _commit(session, calendar, actor, "calendar.updated", f"{before} -> {calendar.describe()}", now)
    return calendar


@detect_conflicts("calendar")
def add_holidays(
    session: Session,
    actor: User | None,
    calendar: BusinessCalendar,
    dates: Iterable[date],
    *,
    now: datetime,
    source: str = "by hand",
    expected_version: int | None = None,
) -> list[str]:
    """Add holidays (dates already there are kept once); returns the ones that are new."""
    require_manager(actor)
    _check_version(calendar, expected_version)
    merged, new = _checked(rules.merge_holidays, calendar.holidays, dates)
    if new:
        calendar.holidays = merged
        shown = ", ".join(new[:10]) + (f" and {len(new) - 10} more" if len(new) > 10 else "")
        _commit(session, calendar, actor, "calendar.holidays_added", f"{len(new)} holiday(s) {source}: {shown}", now)
    return new


@detect_conflicts("calendar")
def remove_holidays(
    session: Session,
    actor: User | None,
    calendar: BusinessCalendar,
    dates: Iterable[date],
    *,
    now: datetime,
    expected_version: int | None = None,
) -> list[str]:
    require_manager(actor)
    _check_version(calendar, expected_version)
    gone = sorted({d.isoformat() for d in dates} & set(calendar.holidays))
    if gone:
        calendar.holidays = [h for h in calendar.holidays if h not in gone]
        _commit(session, calendar, actor, "calendar.holidays_removed", f"removed {', '.join(gone)}", now)
    return gone


def import_ics(
    session: Session, actor: User | None, calendar: BusinessCalendar, data: bytes, *, filename: str, now: datetime
) -> list[str]:
    """Every all-day event of an .ics file becomes holidays (see :mod:`casemgr.contracts.ics`)."""
    require_manager(actor)
    try:
        found = holidays_from_ics(data, until=date(now.year + 5, 12, 31))
    except CalendarFileError as exc:
        raise InvalidInput(f"{filename or 'The file'}: {exc}.", details={"file": [str(exc)]}) from None
    return add_holidays(session, actor, calendar, found.dates, now=now, source=f"from {filename or 'an .ics file'}")


def import_country(
    session: Session,
    actor: User | None,
    calendar: BusinessCalendar,
    *,
    country: str,
    years: list[int],
    subdiv: str | None,
    now: datetime,
) -> list[str]:
    """A country's public holidays for ``years`` (the ``holidays`` package)."""
    require_manager(actor)
    if not years or any(not 1990 <= y <= 2100 for y in years) or len(years) > 10:
        raise CalendarRuleError("Give 1 to 10 years between 1990 and 2100.")
    try:
        found = country_holidays(country, years, subdiv)
    except CalendarFileError as exc:
        raise CalendarRuleError(str(exc)) from None
    where = country.strip().upper() + (f"/{subdiv}" if subdiv else "")
    return add_holidays(session, actor, calendar, [d for d, _n in found], now=now, source=f"public holidays of {where}")
