"""Field dispatch of an RMA: the engineer, the visit window in the site's time, arrival,
visit notes and revisits."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.rules import CaseRuleError
from casemgr.concurrency import detect_conflicts
from casemgr.notifications.services import notify
from rma.lifecycle import (
    check_version,
    record_move,
    record_note,
    require_field_or_worker,
    require_worker,
)
from rma.models import Dispatch, Rma
from rma.services import S
from rma.states import transition


def field_engineers(session: Session, region: str | None = None) -> list[User]:
    stmt = select(User).where(User.role == Role.FIELD_ENGINEER, User.is_active_flag.is_(True)).order_by(User.name)
    if region:
        stmt = stmt.where(User.region == region)
    return list(session.scalars(stmt))


def _site_window(start: datetime, end: datetime, tz: str) -> str:
    """The visit window as the site reads it: "2026-11-24 16:00-18:00 EST"."""
    a, b = start.astimezone(ZoneInfo(tz)), end.astimezone(ZoneInfo(tz))
    until = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%Y-%m-%d %H:%M}"
    return f"on {a:%Y-%m-%d %H:%M}-{until} {b:%Z} (site time, {tz})"


def _dispatch(
    session: Session,
    actor: User,
    rma: Rma,
    engineer: User,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    note: str = "",
) -> Dispatch:
    if window_end <= window_start:
        raise CaseRuleError("The visit window must end after it starts.")
    transition(rma.kind, rma.state, S.DISPATCHED)
    site = rma.asset.site
    dispatch = Dispatch(
        engineer_id=engineer.id,
        window_start=window_start,
        window_end=window_end,
        contact_name=site.contact_name,
        contact_phone=site.contact_phone,
        created_at=now,
    )
    rma.dispatches.append(dispatch)
    rma.field_engineer_id = engineer.id
    window = _site_window(window_start, window_end, site.timezone)
    record_move(
        session, actor, rma, S.DISPATCHED, now, (note + " " if note else "") + f"{engineer.name} will visit {window}."
    )
    notify(
        session,
        [engineer],
        subject=f"Dispatch {rma.number}: {rma.asset.serial} at {site.name}",
        body=f"Visit {window} at {site.name}, {site.address}.",
        now=now,
        case_id=rma.case_id,
    )
    return dispatch


@detect_conflicts("RMA")
def schedule_dispatch(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    engineer_id: int,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    expected_version: int | None = None,
) -> Dispatch:
    require_worker(actor)
    check_version(rma, expected_version)
    engineer = session.get(User, engineer_id)
    if engineer is None or engineer.role != Role.FIELD_ENGINEER or not engineer.is_active:
        raise CaseRuleError("Choose an active field engineer.")
    dispatch = _dispatch(session, actor, rma, engineer, window_start, window_end, now)
    session.commit()
    return dispatch


@detect_conflicts("RMA")
def revisit(
    session: Session,
    actor: User,
    rma: Rma,
    *,
    reason: str,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    expected_version: int | None = None,
) -> Dispatch:
    """The visit could not finish (wrong part, no access): on_site -> dispatched, new window."""
    require_field_or_worker(actor, rma)
    check_version(rma, expected_version)
    if not reason.strip():
        raise CaseRuleError("Say why the visit could not be completed.")
    engineer = rma.field_engineer or actor
    dispatch = _dispatch(
        session, actor, rma, engineer, window_start, window_end, now, f"Visit not completed: {reason.strip()[:500]}."
    )
    session.commit()
    return dispatch


@detect_conflicts("RMA")
def record_arrival(
    session: Session, actor: User, rma: Rma, *, now: datetime, expected_version: int | None = None
) -> None:
    require_field_or_worker(actor, rma)
    check_version(rma, expected_version)
    transition(rma.kind, rma.state, S.ON_SITE)
    dispatch = rma.current_dispatch
    if dispatch is None:  # ON_SITE follows DISPATCHED, which records a dispatch
        raise CaseRuleError(f"{rma.number} has no dispatch to arrive for.")
    dispatch.arrived_at = now
    record_move(session, actor, rma, S.ON_SITE, now)
    session.commit()


@detect_conflicts("RMA")
def add_visit_note(session: Session, actor: User, rma: Rma, *, notes: str, now: datetime) -> None:
    require_field_or_worker(actor, rma)
    if rma.current_dispatch is None or not notes.strip():
        raise CaseRuleError("Write a note about the visit.")
    dispatch = rma.current_dispatch
    stamp = f"[{now:%Y-%m-%d %H:%M} UTC] {notes.strip()}"
    dispatch.notes = f"{dispatch.notes}\n{stamp}".strip()
    rma.updated_at = now
    record_note(session, actor, rma, f"on-site note: {notes.strip()}", now, public=False)
    session.commit()
