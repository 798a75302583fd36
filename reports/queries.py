"""The reporting queries: the dashboard, the managers' breach tables, the weekly
digest and ratings (the partner page and review PDF are :mod:`reports.partner`).

Scoping goes through :mod:`casemgr.auth.policy` only. Each query starts from
one partner's rows (``organization_id`` indexes) or from a page of case ids,
so its cost follows the partner's data, not the whole database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, inspect, or_, select
from sqlalchemy import case as when_
from sqlalchemy.orm import Session, selectinload

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
    org = session.scalar(
        select(Organization).where(
            Organization.id == organization_id,
            Organization.is_vendor.is_(False),
            policy.org_filter(actor, Organization.id),
        )
    )
    if org is None:
        raise NotFoundError(f"No partner {organization_id}.")
    return org


def rma_model():
    """The RMA model when its tables exist; reports work (with zero RMAs) before."""
    from rma.models import Rma

    return Rma


def has_rma_tables(session: Session) -> bool:
    return inspect(session.get_bind()).has_table("rma")


# --------------------------------------------------------------------------- dashboard

_SLA_COLUMNS = (
    Case.id,
    Case.severity,
    Case.created_at,
    Case.first_response_due_at,
    Case.first_response_at,
    Case.first_response_breached,
    Case.next_update_due_at,
    Case.next_update_breaches,
    Case.resolution_due_at,
    Case.resolution_breached,
    Case.sla_paused_at,
)


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
        return cls(
            organization_id=args.get("org", type=int),
            severity=severity if severity in (1, 2, 3, 4) else None,
            sla=sla if sla in rules.SLA_STATES else None,
            page=max(args.get("page", 1, type=int), 1),
        )

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


def dashboard(
    session: Session, actor: User, flt: DashboardFilter, now: datetime, page_size: int | None = 50
) -> Dashboard:
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
    chosen = classified[(flt.page - 1) * size : flt.page * size] if page_size else classified
    rows = _dashboard_rows(session, [(case_id, state) for _key, case_id, state in chosen])
    return Dashboard(rows, len(classified), {s: by_state[s] for s in rules.SLA_STATES}, flt.page, size)


def chunks(ids: list[int], n: int = 500):
    for i in range(0, len(ids), n):
        yield ids[i : i + n]


def _dashboard_rows(session: Session, chosen: list[tuple[int, rules.SlaState]]) -> list[DashboardRow]:
    ids = [case_id for case_id, _ in chosen]
    cases: dict[int, Case] = {}
    escalations: dict[int, int] = {}
    commitments: dict[int, int] = {}
    rmas: dict[int, int] = {}
    has_rma = has_rma_tables(session) if ids else False
    for chunk in chunks(ids):
        cases.update(
            (c.id, c)
            for c in session.scalars(
                select(Case)
                .where(Case.id.in_(chunk))
                .options(selectinload(Case.organization), selectinload(Case.asset), selectinload(Case.owner))
            )
        )
        escalations.update(
            session.execute(
                select(CaseEvent.case_id, func.count())
                .where(CaseEvent.case_id.in_(chunk), CaseEvent.kind == "escalation_requested")
                .group_by(CaseEvent.case_id)
            ).all()
        )
        commitments.update(
            session.execute(
                select(Commitment.case_id, func.count())
                .where(Commitment.case_id.in_(chunk), Commitment.status == "open")
                .group_by(Commitment.case_id)
            ).all()
        )
        if has_rma:
            Rma = rma_model()
            rmas.update(
                session.execute(
                    select(Rma.case_id, func.count())
                    .where(Rma.case_id.in_(chunk), Rma.state.not_in(RMA_DONE))
                    .group_by(Rma.case_id)
                ).all()
            )
    return [
        DashboardRow(cases[i], state, escalations.get(i, 0), commitments.get(i, 0), rmas.get(i, 0))
        for i, state in chosen
    ]


# --------------------------------------------------------------------------- managers


@dataclass
class BreachRow:
    name: str
    cases: int
    breached: int

    @property
    def pct(self) -> float | None:
        return rules.percent(self.breached, self.cases)


def breaches_by_team(
    session: Session, actor: User, period: rules.Period, organization_id: int | None = None
) -> tuple[list[BreachRow], list[BreachRow]]:
    """SLA breaches of the cases opened in the period, by tier (queue) and by owner."""
    if actor.role not in MANAGER_ROLES:
        raise NotFoundError("Managers only.")
    breached = or_(Case.first_response_breached, Case.resolution_breached, Case.next_update_breaches > 0)
    conditions = [policy.case_filter(actor), Case.created_at >= period.start_at, Case.created_at < period.end_at]
    if organization_id:
        conditions.append(Case.organization_id == organization_id)

    def grouped(column) -> Select:
        return select(column, func.count(), func.sum(when_((breached, 1), else_=0))).where(*conditions).group_by(column)

    teams = [BreachRow(q, n, int(b or 0)) for q, n, b in session.execute(grouped(Case.queue))]
    owners = session.execute(grouped(Case.owner_id)).all()
    names = dict(
        session.execute(select(User.id, User.name).where(User.id.in_([o for o, _, _ in owners if o is not None]))).all()
    )
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
        open_rows = session.execute(
            select(*_SLA_COLUMNS).where(Case.organization_id == org.id, Case.status.in_(sorted(OPEN_STATUSES)))
        ).all()
        states = {row.id: rules.sla_state(_clocks(row), now) for row in open_rows}
        high_ids = [row.id for row in open_rows if row.severity <= 2]
        high = []
        for chunk in chunks(high_ids):
            high += [
                (c, states[c.id])
                for c in session.scalars(select(Case).where(Case.id.in_(chunk)).options(selectinload(Case.asset)))
            ]
        high.sort(key=lambda cs: rules.urgency_key(cs[1], cs[0].severity, cs[0].created_at))
        escalations = (
            session.scalar(
                select(func.count())
                .select_from(CaseEvent)
                .join(Case, Case.id == CaseEvent.case_id)
                .where(
                    Case.organization_id == org.id,
                    Case.updated_at >= since,
                    CaseEvent.kind.in_(ESCALATION_KINDS),
                    CaseEvent.created_at >= since,
                )
            )
            or 0
        )
        out.append(DigestPartner(org, high, sum(st.state == rules.BREACHED for st in states.values()), escalations))
    return out


def case_rating(session: Session, case: Case) -> CaseRating | None:
    return session.scalar(select(CaseRating).where(CaseRating.case_id == case.id))
