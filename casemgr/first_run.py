"""First run of a real deployment: what every installation needs before anyone can
work, and nothing of the demo.

``casemgr init`` runs :func:`initialise` after the migrations; ``casemgr demo`` runs it
too, then adds its partners and cases. It is idempotent: whatever exists is kept (a
second run creates nothing and changes no password), so it is safe in a deployment
script. The optional areas add their own first-run steps through the registry
(escalation: the default ladder of each severity).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.roles import Role
from casemgr.auth.services import UserError, create_user, find_user_by_email
from casemgr.contracts.models import BusinessCalendar, SupportPlan
from casemgr.organizations.models import Organization

#: ``step(session, now) -> line``: an area's first-run step; the line says what it did.
FirstRunStep = Callable[[Session, datetime], str]

ALWAYS_CALENDAR = "24x7"
BUSINESS_CALENDAR = "Business hours Mon-Fri 08:00-18:00 (site time)"
BUSINESS_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

#: The plan a case without a contract is timed on (escalation's FALLBACK_PLAN_CODE), so
#: that no case, covered or not, is ever left without a clock and a ladder.
FALLBACK_PLAN_CODE = "STD-8x5-NBD"
FALLBACK_PLAN_NAME = "Standard 8x5 next business day"
#: Minutes per severity: first response, next update, resolution.
FALLBACK_TARGETS = {
    "1": {"first_response": 60, "next_update": 240, "resolution": 600},
    "2": {"first_response": 120, "next_update": 480, "resolution": 1200},
    "3": {"first_response": 480, "next_update": 1440, "resolution": 3000},
    "4": {"first_response": 960, "next_update": 2880, "resolution": 6000},
}


@dataclass
class FirstRunReport:
    lines: list[str] = field(default_factory=list)
    #: Set only when this run generated the admin's password: shown once, never stored.
    generated_password: str | None = None


def default_calendars(session: Session) -> tuple[dict[str, BusinessCalendar], list[str]]:
    """The two coverage calendars every plan can start from, created if missing."""
    wanted = {
        "always": BusinessCalendar(name=ALWAYS_CALENDAR, always=True, weekly_hours={}, holidays=[]),
        "business": BusinessCalendar(
            name=BUSINESS_CALENDAR, always=False, timezone=None, weekly_hours=BUSINESS_HOURS, holidays=[]
        ),
    }
    calendars, lines = {}, []
    for key, new in wanted.items():
        name = new.name
        calendar = session.scalar(select(BusinessCalendar).where(BusinessCalendar.name == name))
        if calendar is None:
            calendar = new
            session.add(calendar)
            lines.append(f"Coverage calendar created: {name}.")
        calendars[key] = calendar
    return calendars, lines


def fallback_plan(session: Session, business: BusinessCalendar) -> tuple[SupportPlan, str | None]:
    plan = session.scalar(select(SupportPlan).where(SupportPlan.code == FALLBACK_PLAN_CODE))
    if plan is not None:
        return plan, None
    plan = SupportPlan(
        code=FALLBACK_PLAN_CODE,
        name=FALLBACK_PLAN_NAME,
        calendar=business,
        onsite=False,
        advance_replacement=False,
        keep_your_drive=False,
        description=f"{FALLBACK_PLAN_NAME}; cases without a contract are timed on this plan.",
        targets=FALLBACK_TARGETS,
    )
    session.add(plan)
    return plan, f"Support plan created: {FALLBACK_PLAN_CODE} ({FALLBACK_PLAN_NAME}; cases without a contract use it)."


def initialise(
    session: Session,
    *,
    vendor_name: str,
    admin_email: str,
    admin_password: str | None,
    now: datetime,
    steps: Sequence[FirstRunStep] = (),
) -> FirstRunReport:
    """The vendor organisation, its first admin, the default calendars and fallback plan,
    then the areas' ``steps``; commits. Raises ``UserError`` for an unusable e-mail,
    password or name, or an existing account under that e-mail that is not a vendor admin."""
    report = FirstRunReport()
    vendor_name = " ".join((vendor_name or "").split())
    vendor = session.scalar(select(Organization).where(Organization.is_vendor.is_(True)).limit(1))
    if vendor is None:
        if not vendor_name or len(vendor_name) > 200:
            raise UserError("Name the vendor organisation (at most 200 characters).")
        vendor = Organization(name=vendor_name, is_vendor=True, created_at=now)
        session.add(vendor)
        session.flush()
        report.lines.append(f"Vendor organisation created: {vendor.name}.")
    elif vendor.name != vendor_name:
        report.lines.append(f"Vendor organisation exists: {vendor.name} (kept; it was not renamed).")
    else:
        report.lines.append(f"Vendor organisation exists: {vendor.name}.")

    existing = find_user_by_email(session, admin_email)
    if existing is not None:
        if existing.role != Role.ADMIN or existing.organization_id != vendor.id:
            raise UserError(f"{existing.email} already exists as {existing.role}; choose another admin e-mail.")
        report.lines.append(f"Admin exists: {existing.email} (password unchanged).")
    else:
        password = admin_password
        if password is None:
            password = report.generated_password = secrets.token_urlsafe(12)
        admin = create_user(
            session,
            email=admin_email,
            role=Role.ADMIN,
            organization=vendor,
            password=password,
            name=None,
            now=now,
        )
        report.lines.append(f"Admin created: {admin.email}.")

    calendars, lines = default_calendars(session)
    report.lines += lines
    _plan, line = fallback_plan(session, calendars["business"])
    if line:
        report.lines.append(line)
    session.flush()
    for step in steps:
        report.lines.append(step(session, now))
    session.commit()
    return report
