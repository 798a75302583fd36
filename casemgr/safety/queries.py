"""The support manager's view of refused attempts: filterable, exportable."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.errors import NotFoundError
from casemgr.organizations.models import Organization
from casemgr.safety.models import ComponentCorrection, SafetyBlock

VIEWERS = (Role.SUPPORT_MANAGER, Role.ADMIN)


def require_viewer(actor: User) -> None:
    """Others get the same 404 as for anything they may not see."""
    if actor.role not in VIEWERS:
        raise NotFoundError("No such page.")


@dataclass(frozen=True)
class BlockFilter:
    rule: str = ""
    channel: str = ""
    organization_id: int | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> BlockFilter:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        return cls(
            rule=args.get("rule", "")[:64],
            channel=args.get("channel", "")[:16],
            organization_id=args.get("org", type=int),
            since=day("since"),
            until=day("until"),
        )

    def organisation_and_dates(self, organization_id: Any, created_at: Any) -> list[ColumnElement[bool]]:
        """The conditions of the organisation and the date range (whole UTC days, both
        ends included) on the given columns; the rule and path filters are the caller's."""
        conditions: list[ColumnElement[bool]] = []
        if self.organization_id:
            conditions.append(organization_id == self.organization_id)
        if self.since:
            conditions.append(created_at >= datetime.combine(self.since, time(), UTC))
        if self.until:
            conditions.append(created_at < datetime.combine(self.until + timedelta(days=1), time(), UTC))
        return conditions


def blocks(session: Session, actor: User, flt: BlockFilter, limit: int = 500) -> list[tuple[SafetyBlock, str, str]]:
    """(block, case number, organisation name), newest first."""
    require_viewer(actor)
    stmt = (
        select(SafetyBlock, Case.number, Organization.name)
        .outerjoin(Case, Case.id == SafetyBlock.case_id)
        .outerjoin(Organization, Organization.id == SafetyBlock.organization_id)
        .options(selectinload(SafetyBlock.actor))
        .order_by(SafetyBlock.created_at.desc(), SafetyBlock.id.desc())
        .limit(limit)
    )
    if flt.rule:
        stmt = stmt.where(SafetyBlock.rule_code == flt.rule)
    if flt.channel:
        stmt = stmt.where(SafetyBlock.channel == flt.channel)
    stmt = stmt.where(*flt.organisation_and_dates(SafetyBlock.organization_id, SafetyBlock.created_at))
    return [(b, number or "", org or "") for b, number, org in session.execute(stmt)]


def corrections(
    session: Session, actor: User, flt: BlockFilter, limit: int = 500
) -> list[tuple[ComponentCorrection, str, str]]:
    """Failed marks a support manager corrected, as (correction, case number, organisation
    name), newest first; the organisation and date filters apply, rule and path do not."""
    require_viewer(actor)
    stmt = (
        select(ComponentCorrection, Case.number, Organization.name)
        .outerjoin(Case, Case.id == ComponentCorrection.case_id)
        .outerjoin(Organization, Organization.id == ComponentCorrection.organization_id)
        .options(selectinload(ComponentCorrection.actor))
        .order_by(ComponentCorrection.created_at.desc(), ComponentCorrection.id.desc())
        .limit(limit)
    )
    stmt = stmt.where(*flt.organisation_and_dates(ComponentCorrection.organization_id, ComponentCorrection.created_at))
    return [(c, number or "", org or "") for c, number, org in session.execute(stmt)]


def rule_codes(session: Session) -> list[str]:
    return list(session.scalars(select(SafetyBlock.rule_code).distinct().order_by(SafetyBlock.rule_code)))


CSV_COLUMNS = [
    "when_utc",
    "who",
    "organisation",
    "case",
    "channel",
    "action",
    "rule",
    "component_serial",
    "reason",
    "safe_alternative",
    "attempted",
]


def blocks_csv(rows: list[tuple[SafetyBlock, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for block, number, org in rows:
        writer.writerow(
            [
                block.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                block.actor.email if block.actor else "",
                org,
                number,
                block.channel,
                block.action,
                block.rule_code,
                block.component_serial or "",
                block.reason,
                block.safe_alternative,
                _defuse(block.attempted),
            ]
        )
    return out.getvalue()


def _defuse(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
