"""One partner's health over a period: what the partner page's charts and the
account review PDF show, computed from that partner's rows only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseEvent, Commitment
from casemgr.cases.rules import OPEN_STATUSES
from casemgr.organizations.models import Organization
from reports import rules
from reports.models import CaseRating
from reports.queries import ESCALATION_KINDS, chunks, get_partner_for, has_rma_tables, rma_model


@dataclass
class Summary:
    opened: int = 0
    resolved: int = 0
    open_now: int = 0
    sev1_opened: int = 0
    first_response_met: int = 0
    first_response_total: int = 0
    resolution_met: int = 0
    resolution_total: int = 0
    median_resolution_hours: float | None = None
    rmas_requested: int = 0
    rmas_installed: int = 0
    median_rma_turnaround_days: float | None = None
    certificates: int = 0
    missed_commitments: int = 0
    ratings: int = 0
    average_rating: float | None = None

    @property
    def first_response_pct(self) -> float | None:
        return rules.percent(self.first_response_met, self.first_response_total)

    @property
    def resolution_pct(self) -> float | None:
        return rules.percent(self.resolution_met, self.resolution_total)


@dataclass
class Sev1Row:
    number: str
    subject: str
    asset: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    escalations: int
    updates: int
    outcome: str


@dataclass
class MissedCommitment:
    case_number: str
    description: str
    owner: str
    due_at: datetime
    status: str
    kept_at: datetime | None


@dataclass
class RmaRow:
    number: str
    case_number: str
    kind: str
    state: str
    disposition: str
    created_at: datetime
    installed_at: datetime | None
    retained_at: datetime | None


@dataclass
class PartnerReport:
    organization: Organization
    period: rules.Period
    now: datetime
    summary: Summary
    #: Monday -> severity -> count
    opened_by_week: dict = field(default_factory=dict)
    resolved_by_week: dict = field(default_factory=dict)
    #: month -> (first response met, total, resolution met, total)
    sla_by_month: dict = field(default_factory=dict)
    #: month -> list of turnaround days
    rma_turnaround_by_month: dict = field(default_factory=dict)
    top_assets: list[tuple[str, int]] = field(default_factory=list)
    sev1: list[Sev1Row] = field(default_factory=list)
    missed: list[MissedCommitment] = field(default_factory=list)
    rmas: list[RmaRow] = field(default_factory=list)
    rating_counts: dict[int, int] = field(default_factory=dict)
    comments: list[tuple[int, str, str, datetime]] = field(default_factory=list)


def _resolved_at():
    return func.coalesce(Case.resolved_at, Case.closed_at)


def partner_report(
    session: Session, actor: User, organization_id: int, period: rules.Period, now: datetime
) -> PartnerReport:
    """One partner's health over a period: the page's charts and the PDF's content."""
    org = get_partner_for(session, actor, organization_id)
    start, end = period.start_at, period.end_at
    report = PartnerReport(org, period, now, Summary())
    s = report.summary
    report.opened_by_week = {w: Counter() for w in period.weeks()}
    report.resolved_by_week = {w: Counter() for w in period.weeks()}
    report.sla_by_month = {m: [0, 0, 0, 0] for m in period.months()}
    mine = Case.organization_id == org.id

    opened = session.execute(
        select(
            Case.id, Case.severity, Case.created_at, Case.first_response_at, Case.first_response_breached, Case.asset_id
        ).where(mine, Case.created_at >= start, Case.created_at < end)
    ).all()
    assets: Counter[int] = Counter()
    for row in opened:
        s.opened += 1
        s.sev1_opened += row.severity == 1
        report.opened_by_week[rules.week_of(row.created_at)][row.severity] += 1
        if row.first_response_at is not None or row.first_response_breached:
            bucket = report.sla_by_month[rules.month_of(row.created_at)]
            bucket[1] += 1
            s.first_response_total += 1
            if not row.first_response_breached:
                bucket[0] += 1
                s.first_response_met += 1
        if row.asset_id is not None:
            assets[row.asset_id] += 1

    resolved = session.execute(
        select(Case.severity, Case.created_at, _resolved_at().label("done"), Case.resolution_breached).where(
            mine, _resolved_at() >= start, _resolved_at() < end
        )
    ).all()
    hours = []
    for row in resolved:
        s.resolved += 1
        report.resolved_by_week[rules.week_of(row.done)][row.severity] += 1
        bucket = report.sla_by_month[rules.month_of(row.done)]
        bucket[3] += 1
        s.resolution_total += 1
        if not row.resolution_breached:
            bucket[2] += 1
            s.resolution_met += 1
        hours.append((row.done - row.created_at).total_seconds() / 3600)
    s.median_resolution_hours = rules.median_or_none(hours)
    s.open_now = (
        session.scalar(select(func.count()).select_from(Case).where(mine, Case.status.in_(sorted(OPEN_STATUSES)))) or 0
    )

    if assets:
        top = assets.most_common(10)
        serials = dict(session.execute(select(Asset.id, Asset.serial).where(Asset.id.in_([a for a, _ in top]))).all())
        report.top_assets = [(serials.get(a, "?"), n) for a, n in top]

    report.sev1 = _sev1_rows(session, org, start, end)
    report.missed = _missed_commitments(session, org, start, end, now)
    s.missed_commitments = len(report.missed)
    _rma_figures(session, report, start, end)
    _ratings(session, report, start, end)
    return report


def _sev1_rows(session: Session, org: Organization, start: datetime, end: datetime) -> list[Sev1Row]:
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.organization_id == org.id, Case.severity == 1, Case.created_at >= start, Case.created_at < end)
            .options(selectinload(Case.asset))
            .order_by(Case.created_at)
        )
    )
    counts: dict[tuple[int, str], int] = {}
    for chunk in chunks([c.id for c in cases]):
        counts.update(
            ((cid, kind), n)
            for cid, kind, n in session.execute(
                select(CaseEvent.case_id, CaseEvent.kind, func.count())
                .where(CaseEvent.case_id.in_(chunk))
                .group_by(CaseEvent.case_id, CaseEvent.kind)
            )
        )
    rows = []
    for c in cases:
        missed = [
            name
            for name, hit in (
                ("first response", c.first_response_breached),
                ("updates", c.next_update_breaches > 0),
                ("resolution", c.resolution_breached),
            )
            if hit
        ]
        outcome = ("Breached: " + ", ".join(missed)) if missed else ("Met" if not c.is_open else "Open, on time")
        rows.append(
            Sev1Row(
                c.number,
                c.subject,
                c.asset.serial if c.asset else "—",
                c.status,
                c.created_at,
                c.first_response_at,
                c.resolved_at or c.closed_at,
                sum(counts.get((c.id, k), 0) for k in ESCALATION_KINDS),
                counts.get((c.id, "comment"), 0),
                outcome,
            )
        )
    return rows


def _missed_commitments(
    session: Session, org: Organization, start: datetime, end: datetime, now: datetime
) -> list[MissedCommitment]:
    stmt = (
        select(Commitment, Case.number)
        .join(Case, Case.id == Commitment.case_id)
        .where(Case.organization_id == org.id, Commitment.due_at >= start, Commitment.due_at < end)
        .options(selectinload(Commitment.owner))
        .order_by(Commitment.due_at)
    )
    return [
        MissedCommitment(number, c.description, c.owner.name, c.due_at, c.status, c.kept_at)
        for c, number in session.execute(stmt)
        if rules.commitment_missed(c.status, c.due_at, c.kept_at, now)
    ]


def _rma_figures(session: Session, report: PartnerReport, start: datetime, end: datetime) -> None:
    report.rma_turnaround_by_month = {m: [] for m in report.period.months()}
    if not has_rma_tables(session):
        return
    Rma = rma_model()
    s = report.summary
    stmt = (
        select(
            Rma.number,
            Case.number,
            Rma.kind,
            Rma.state,
            Rma.disposition,
            Rma.created_at,
            Rma.installed_at,
            Rma.retained_at,
        )
        .join(Case, Case.id == Rma.case_id)
        .where(
            Rma.organization_id == report.organization.id,
            or_(
                Rma.created_at.between(start, end),
                Rma.installed_at.between(start, end),
                Rma.retained_at.between(start, end),
            ),
        )
        .order_by(Rma.created_at)
    )
    days = []
    for row in session.execute(stmt):
        rma = RmaRow(*row)
        report.rmas.append(rma)
        if start <= rma.created_at < end:
            s.rmas_requested += 1
        if rma.installed_at is not None and start <= rma.installed_at < end:
            s.rmas_installed += 1
            turnaround = (rma.installed_at - rma.created_at).total_seconds() / 86400
            days.append(turnaround)
            report.rma_turnaround_by_month[rules.month_of(rma.installed_at)].append(turnaround)
        if rma.retained_at is not None and start <= rma.retained_at < end and rma.disposition != "return":
            s.certificates += 1
    s.median_rma_turnaround_days = rules.median_or_none(days)


def _ratings(session: Session, report: PartnerReport, start: datetime, end: datetime) -> None:
    stmt = (
        select(CaseRating.rating, CaseRating.comment, Case.number, CaseRating.created_at)
        .join(Case, Case.id == CaseRating.case_id)
        .where(
            CaseRating.organization_id == report.organization.id,
            CaseRating.created_at >= start,
            CaseRating.created_at < end,
        )
        .order_by(CaseRating.created_at.desc())
    )
    counts: Counter[int] = Counter()
    for rating, comment, number, at in session.execute(stmt):
        counts[rating] += 1
        if comment:
            report.comments.append((rating, comment, number, at))
    report.rating_counts = {n: counts[n] for n in range(1, 6)}
    total = sum(counts.values())
    report.summary.ratings = total
    report.summary.average_rating = round(sum(n * k for n, k in counts.items()) / total, 2) if total else None
