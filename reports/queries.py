"""The reporting module: every figure on the dashboard, the partner page, the
account review PDF, the CSV exports and the weekly digest is computed here.

Scoping goes through :mod:`casemgr.auth.policy` only. Each query starts from
one partner's rows (``organization_id`` indexes) or from a page of case ids,
so its cost follows the partner's data, not the whole database.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, inspect, or_, select
from sqlalchemy import case as when_
from sqlalchemy.orm import Session, selectinload

from casemgr.assets.models import Asset
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case, CaseEvent, Commitment
from casemgr.cases.rules import OPEN_STATUSES
from casemgr.errors import NotFoundError
from casemgr.organizations.models import Organization
from reports import rules
from reports.models import CaseRating

#: Who may use the account pages at all (read-only for account managers).
ACCOUNT_ROLES = frozenset({Role.ACCOUNT_MANAGER, Role.SUPPORT_MANAGER, Role.ADMIN})
#: Who sees the cross-partner extras (breaches by team and engineer, thank-you notes).
MANAGER_ROLES = frozenset({Role.SUPPORT_MANAGER, Role.ADMIN})
RMA_DONE = ("installed", "return_pending", "returned", "analysed", "retained", "closed", "cancelled")
ESCALATION_KINDS = ("escalation_fired", "escalation_requested")


def can_view_accounts(actor: User) -> bool:
    return actor.role in ACCOUNT_ROLES


def require_account_viewer(actor: User) -> None:
    """Other roles get the same 404 as a partner they may not see."""
    if not can_view_accounts(actor):
        raise NotFoundError("No account pages.")


def partners(session: Session, actor: User) -> list[Organization]:
    require_account_viewer(actor)
    return policy.visible_organizations(session, actor)


def get_partner_for(session: Session, actor: User, organization_id: int) -> Organization:
    require_account_viewer(actor)
    org = session.scalar(select(Organization).where(
        Organization.id == organization_id, Organization.is_vendor.is_(False),
        policy.org_filter(actor, Organization.id)))
    if org is None:
        raise NotFoundError(f"No partner {organization_id}.")
    return org


def _rma_model():
    """The RMA model when its tables exist; reports work (with zero RMAs) before."""
    from rma.models import Rma

    return Rma


def _has_rma(session: Session) -> bool:
    return inspect(session.get_bind()).has_table("rma")


# --------------------------------------------------------------------------- dashboard

_SLA_COLUMNS = (Case.id, Case.severity, Case.created_at, Case.first_response_due_at, Case.first_response_at,
                Case.first_response_breached, Case.next_update_due_at, Case.next_update_breaches,
                Case.resolution_due_at, Case.resolution_breached, Case.sla_paused_at)


def _clocks(row) -> rules.SlaClocks:
    return rules.SlaClocks(*row[2:])


@dataclass(frozen=True)
class DashboardFilter:
    organization_id: int | None = None
    severity: int | None = None
    sla: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> DashboardFilter:
        severity = args.get("severity", type=int)
        sla = args.get("sla") or None
        return cls(organization_id=args.get("org", type=int),
                   severity=severity if severity in (1, 2, 3, 4) else None,
                   sla=sla if sla in rules.SLA_STATES else None, page=max(args.get("page", 1, type=int), 1))

    def args(self) -> dict[str, str]:
        out = {"org": self.organization_id, "severity": self.severity, "sla": self.sla}
        return {k: str(v) for k, v in out.items() if v}


@dataclass
class DashboardRow:
    case: Case
    sla: rules.SlaState
    escalation_requests: int = 0
    open_commitments: int = 0
    rmas_in_flight: int = 0


@dataclass
class Dashboard:
    rows: list[DashboardRow]
    total: int
    by_state: dict[str, int]
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)


def dashboard(session: Session, actor: User, flt: DashboardFilter, now: datetime,
              page_size: int | None = 50) -> Dashboard:
    """Every open case of the actor's partners, most urgent first.

    Urgency depends on ``now``, so the light SLA columns of the open cases are
    classified in Python (a partner has at most a few hundred open cases), and
    only the requested page is loaded with its details and counts.
    """
    require_account_viewer(actor)
    conditions = [policy.case_filter(actor), Case.status.in_(sorted(OPEN_STATUSES))]
    if flt.organization_id:
        conditions.append(Case.organization_id == flt.organization_id)
    if flt.severity:
        conditions.append(Case.severity == flt.severity)
    classified = []
    by_state: Counter[str] = Counter()
    for row in session.execute(select(*_SLA_COLUMNS).where(*conditions)):
        state = rules.sla_state(_clocks(row), now)
        by_state[state.state] += 1
        if flt.sla is None or state.state == flt.sla:
            classified.append((rules.urgency_key(state, row.severity, row.created_at), row.id, state))
    classified.sort(key=lambda item: (item[0], item[1]))
    size = page_size or max(len(classified), 1)
    chosen = classified[(flt.page - 1) * size:flt.page * size] if page_size else classified
    rows = _dashboard_rows(session, [(case_id, state) for _key, case_id, state in chosen])
    return Dashboard(rows, len(classified), {s: by_state[s] for s in rules.SLA_STATES}, flt.page, size)


def _chunks(ids: list[int], n: int = 500):
    for i in range(0, len(ids), n):
        yield ids[i:i + n]


def _dashboard_rows(session: Session, chosen: list[tuple[int, rules.SlaState]]) -> list[DashboardRow]:
    ids = [case_id for case_id, _ in chosen]
    cases: dict[int, Case] = {}
    escalations: dict[int, int] = {}
    commitments: dict[int, int] = {}
    rmas: dict[int, int] = {}
    has_rma = _has_rma(session) if ids else False
    for chunk in _chunks(ids):
        cases.update((c.id, c) for c in session.scalars(
            select(Case).where(Case.id.in_(chunk))
            .options(selectinload(Case.organization), selectinload(Case.asset), selectinload(Case.owner))))
        escalations.update(session.execute(
            select(CaseEvent.case_id, func.count()).where(CaseEvent.case_id.in_(chunk),
                                                          CaseEvent.kind == "escalation_requested")
            .group_by(CaseEvent.case_id)).all())
        commitments.update(session.execute(
            select(Commitment.case_id, func.count()).where(Commitment.case_id.in_(chunk), Commitment.status == "open")
            .group_by(Commitment.case_id)).all())
        if has_rma:
            Rma = _rma_model()
            rmas.update(session.execute(
                select(Rma.case_id, func.count()).where(Rma.case_id.in_(chunk), Rma.state.not_in(RMA_DONE))
                .group_by(Rma.case_id)).all())
    return [DashboardRow(cases[i], state, escalations.get(i, 0), commitments.get(i, 0), rmas.get(i, 0))
            for i, state in chosen]


# --------------------------------------------------------------------------- partner report

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


def partner_report(session: Session, actor: User, organization_id: int, period: rules.Period,
                   now: datetime) -> PartnerReport:
    """One partner's health over a period: the page's charts and the PDF's content."""
    org = get_partner_for(session, actor, organization_id)
    start, end = period.start_at, period.end_at
    report = PartnerReport(org, period, now, Summary())
    s = report.summary
    report.opened_by_week = {w: Counter() for w in period.weeks()}
    report.resolved_by_week = {w: Counter() for w in period.weeks()}
    report.sla_by_month = {m: [0, 0, 0, 0] for m in period.months()}
    mine = Case.organization_id == org.id

    opened = session.execute(select(Case.id, Case.severity, Case.created_at, Case.first_response_at,
                                    Case.first_response_breached, Case.asset_id)
                             .where(mine, Case.created_at >= start, Case.created_at < end)).all()
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

    resolved = session.execute(select(Case.severity, Case.created_at, _resolved_at().label("done"),
                                      Case.resolution_breached)
                               .where(mine, _resolved_at() >= start, _resolved_at() < end)).all()
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
    s.open_now = session.scalar(select(func.count()).select_from(Case).where(
        mine, Case.status.in_(sorted(OPEN_STATUSES)))) or 0

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
    cases = list(session.scalars(
        select(Case).where(Case.organization_id == org.id, Case.severity == 1, Case.created_at >= start,
                           Case.created_at < end).options(selectinload(Case.asset)).order_by(Case.created_at)))
    counts: dict[tuple[int, str], int] = {}
    for chunk in _chunks([c.id for c in cases]):
        counts.update(((cid, kind), n) for cid, kind, n in session.execute(
            select(CaseEvent.case_id, CaseEvent.kind, func.count()).where(CaseEvent.case_id.in_(chunk))
            .group_by(CaseEvent.case_id, CaseEvent.kind)))
    rows = []
    for c in cases:
        missed = [name for name, hit in (("first response", c.first_response_breached),
                                         ("updates", c.next_update_breaches > 0),
                                         ("resolution", c.resolution_breached)) if hit]
        outcome = ("Breached: " + ", ".join(missed)) if missed else ("Met" if not c.is_open else "Open, on time")
        rows.append(Sev1Row(c.number, c.subject, c.asset.serial if c.asset else "—", c.status, c.created_at,
                            c.first_response_at, c.resolved_at or c.closed_at,
                            sum(counts.get((c.id, k), 0) for k in ESCALATION_KINDS),
                            counts.get((c.id, "comment"), 0), outcome))
    return rows


def _missed_commitments(session: Session, org: Organization, start: datetime, end: datetime,
                        now: datetime) -> list[MissedCommitment]:
    stmt = (select(Commitment, Case.number).join(Case, Case.id == Commitment.case_id)
            .where(Case.organization_id == org.id, Commitment.due_at >= start, Commitment.due_at < end)
            .options(selectinload(Commitment.owner)).order_by(Commitment.due_at))
    return [MissedCommitment(number, c.description, c.owner.name, c.due_at, c.status, c.kept_at)
            for c, number in session.execute(stmt)
            if rules.commitment_missed(c.status, c.due_at, c.kept_at, now)]


def _rma_figures(session: Session, report: PartnerReport, start: datetime, end: datetime) -> None:
    report.rma_turnaround_by_month = {m: [] for m in report.period.months()}
    if not _has_rma(session):
        return
    Rma = _rma_model()
    s = report.summary
    stmt = (select(Rma.number, Case.number, Rma.kind, Rma.state, Rma.disposition, Rma.created_at, Rma.installed_at,
                   Rma.retained_at).join(Case, Case.id == Rma.case_id)
            .where(Rma.organization_id == report.organization.id,
                   or_(Rma.created_at.between(start, end), Rma.installed_at.between(start, end),
                       Rma.retained_at.between(start, end)))
            .order_by(Rma.created_at))
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
    stmt = (select(CaseRating.rating, CaseRating.comment, Case.number, CaseRating.created_at)
            .join(Case, Case.id == CaseRating.case_id)
            .where(CaseRating.organization_id == report.organization.id, CaseRating.created_at >= start,
                   CaseRating.created_at < end).order_by(CaseRating.created_at.desc()))
    counts: Counter[int] = Counter()
    for rating, comment, number, at in session.execute(stmt):
        counts[rating] += 1
        if comment:
            report.comments.append((rating, comment, number, at))
    report.rating_counts = {n: counts[n] for n in range(1, 6)}
    total = sum(counts.values())
    report.summary.ratings = total
    report.summary.average_rating = round(sum(n * k for n, k in counts.items()) / total, 2) if total else None


# --------------------------------------------------------------------------- managers

@dataclass
class BreachRow:
    name: str
    cases: int
    breached: int

    @property
    def pct(self) -> float | None:
        return rules.percent(self.breached, self.cases)


def breaches_by_team(session: Session, actor: User, period: rules.Period,
                     organization_id: int | None = None) -> tuple[list[BreachRow], list[BreachRow]]:
    """SLA breaches of the cases opened in the period, by tier (queue) and by owner."""
    if actor.role not in MANAGER_ROLES:
        raise NotFoundError("Managers only.")
    breached = or_(Case.first_response_breached, Case.resolution_breached, Case.next_update_breaches > 0)
    conditions = [policy.case_filter(actor), Case.created_at >= period.start_at, Case.created_at < period.end_at]
    if organization_id:
        conditions.append(Case.organization_id == organization_id)

    def grouped(column) -> Select:
        return (select(column, func.count(), func.sum(when_((breached, 1), else_=0)))
                .where(*conditions).group_by(column))

    teams = [BreachRow(q, n, int(b or 0)) for q, n, b in session.execute(grouped(Case.queue))]
    owners = session.execute(grouped(Case.owner_id)).all()
    names = dict(session.execute(select(User.id, User.name).where(
        User.id.in_([o for o, _, _ in owners if o is not None]))).all())
    people = [BreachRow(names.get(o, "Unassigned") if o else "Unassigned", n, int(b or 0)) for o, n, b in owners]
    key = lambda r: (-r.breached, r.name)  # noqa: E731
    return sorted(teams, key=key), sorted(people, key=key)


# --------------------------------------------------------------------------- digest

@dataclass
class DigestPartner:
    organization: Organization
    high_severity: list[tuple[Case, rules.SlaState]]
    breached_open: int
    escalations: int


def digest(session: Session, manager: User, now: datetime) -> list[DigestPartner]:
    """The account manager's week: open S1-2 cases, open breached cases, escalations in the last 7 days."""
    since = now - timedelta(days=7)
    out = []
    for org in partners(session, manager):
        open_rows = session.execute(select(*_SLA_COLUMNS).where(
            Case.organization_id == org.id, Case.status.in_(sorted(OPEN_STATUSES)))).all()
        states = {row.id: rules.sla_state(_clocks(row), now) for row in open_rows}
        high_ids = [row.id for row in open_rows if row.severity <= 2]
        high = []
        for chunk in _chunks(high_ids):
            high += [(c, states[c.id]) for c in session.scalars(
                select(Case).where(Case.id.in_(chunk)).options(selectinload(Case.asset)))]
        high.sort(key=lambda cs: rules.urgency_key(cs[1], cs[0].severity, cs[0].created_at))
        escalations = session.scalar(
            select(func.count()).select_from(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.organization_id == org.id, Case.updated_at >= since, CaseEvent.kind.in_(ESCALATION_KINDS),
                   CaseEvent.created_at >= since)) or 0
        out.append(DigestPartner(org, high, sum(st.state == rules.BREACHED for st in states.values()), escalations))
    return out


def case_rating(session: Session, case: Case) -> CaseRating | None:
    return session.scalar(select(CaseRating).where(CaseRating.case_id == case.id))
