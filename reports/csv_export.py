"""CSV exports of the case lists a user can see (the queue and the account dashboard).

Same scoping and filters as the page, every matching row (not one page),
streamed; cells that a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.queries import SORTS, QueueFilter, queue_conditions
from casemgr.organizations.models import Organization
from reports import rules
from reports.queries import DashboardFilter, dashboard

QUEUE_HEADER = [
    "case",
    "organisation",
    "asset",
    "severity",
    "status",
    "subject",
    "owner",
    "tier",
    "escalation_level",
    "sla_state",
    "next_due_utc",
    "created_utc",
    "updated_utc",
    "resolved_utc",
]
DASHBOARD_HEADER = [
    "case",
    "organisation",
    "asset",
    "severity",
    "status",
    "subject",
    "age_hours",
    "sla_state",
    "next_due_utc",
    "escalation_level",
    "customer_escalations",
    "open_commitments",
    "rmas_in_flight",
]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _lines(header: list[str], rows) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def queue_csv(session: Session, actor: User, flt: QueueFilter, now: datetime) -> Iterator[str]:
    """The case list (``/cases/``) with its filters and sort, every page."""
    conditions = queue_conditions(actor, flt, now)
    owner = aliased(User)
    stmt = (
        select(Case, Organization.name, Asset.serial, owner.name)
        .join(Organization, Organization.id == Case.organization_id)
        .outerjoin(Asset, Asset.id == Case.asset_id)
        .outerjoin(owner, owner.id == Case.owner_id)
        .where(*conditions)
        .order_by(*SORTS[flt.sort])
        .execution_options(yield_per=1000)
    )

    def rows():
        for case, org, serial, owner_name in session.execute(stmt):
            state = rules.sla_state(_clocks(case), now) if case.is_open else None
            yield (
                case.number,
                org,
                serial,
                case.severity,
                case.status,
                case.subject,
                owner_name or "Unassigned",
                case.queue,
                case.escalation_level,
                state.state if state else "",
                state.next_due if state else None,
                case.created_at,
                case.updated_at,
                case.resolved_at,
            )

    return _lines(QUEUE_HEADER, rows())


def _clocks(c: Case) -> rules.SlaClocks:
    return rules.SlaClocks(
        c.created_at,
        c.first_response_due_at,
        c.first_response_at,
        c.first_response_breached,
        c.next_update_due_at,
        c.next_update_breaches,
        c.resolution_due_at,
        c.resolution_breached,
        c.sla_paused_at,
    )


def dashboard_csv(session: Session, actor: User, flt: DashboardFilter, now: datetime) -> Iterator[str]:
    """The account dashboard with its filters, all pages, most urgent first."""
    board = dashboard(session, actor, DashboardFilter(flt.organization_id, flt.severity, flt.sla), now, page_size=None)
    rows = (
        (
            r.case.number,
            r.case.organization.name,
            r.case.asset.serial if r.case.asset else None,
            r.case.severity,
            r.case.status,
            r.case.subject,
            round((now - r.case.created_at).total_seconds() / 3600, 1),
            r.sla.state,
            r.sla.next_due,
            r.case.escalation_level,
            r.escalation_requests,
            r.open_commitments,
            r.rmas_in_flight,
        )
        for r in board.rows
    )
    return _lines(DASHBOARD_HEADER, rows)
