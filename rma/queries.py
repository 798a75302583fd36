"""Reading RMAs: who sees which (the one scoping rule of the RMA area), lists and history."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from casemgr.assets.models import Asset, Component
from casemgr.auth.models import User
from casemgr.auth.policy import assigned_org_ids
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.errors import NotFoundError
from casemgr.organizations.models import AccountAssignment
from escalation.ladder import PendingReturn
from rma.models import Dispatch, Rma
from rma.states import RmaState

S = RmaState


# --- who sees what -------------------------------------------------------------


def rma_filter(actor: User) -> ColumnElement[bool]:
    """Customers: their organisation; account managers: their partners; field engineers:
    assigned to them or to their region; support staff: everything."""
    if actor.role in CUSTOMER_ROLES:
        return Rma.organization_id == actor.organization_id
    if actor.role in CASE_WORKER_ROLES:
        return true()
    if actor.role == Role.ACCOUNT_MANAGER:
        return Rma.organization_id.in_(assigned_org_ids(actor))
    if actor.role == Role.FIELD_ENGINEER:
        mine = Rma.field_engineer_id == actor.id
        return or_(mine, Rma.region == actor.region) if actor.region else mine
    return false()


def get_rma_for(session: Session, actor: User, number: str) -> Rma:
    rma = session.scalar(select(Rma).where(Rma.number == number, rma_filter(actor)))
    if rma is None:
        raise NotFoundError(f"No RMA {number}.")
    return rma


def serviced_case_ids(actor: User):
    """The cases a field engineer services: RMAs assigned to them or with a visit of theirs
    (the core's policy shows them these cases and their assets, read-only)."""
    dispatched = select(Dispatch.rma_id).where(Dispatch.engineer_id == actor.id)
    return select(Rma.case_id).where(or_(Rma.field_engineer_id == actor.id, Rma.id.in_(dispatched)))


def can_see_case_page(actor: User, rma: Rma | None = None) -> bool:
    """Field engineers see the case behind an RMA they service, not every case of their region."""
    if actor.role != Role.FIELD_ENGINEER:
        return True
    return rma is not None and (
        rma.field_engineer_id == actor.id or any(d.engineer_id == actor.id for d in rma.dispatches)
    )


# --- reading -----------------------------------------------------------------------


def part_history(session: Session, asset_id: int, part_id: int | None = None, exclude: int | None = None) -> list[Rma]:
    """Earlier RMAs on this asset (optionally of one part model), newest first."""
    stmt = select(Rma).join(Component, Component.id == Rma.failed_component_id).where(Rma.asset_id == asset_id)
    if part_id is not None:
        stmt = stmt.where(Component.part_id == part_id)
    if exclude is not None:
        stmt = stmt.where(Rma.id != exclude)
    return list(session.scalars(stmt.order_by(Rma.created_at.desc(), Rma.id.desc())))


def repeat_failures(session: Session, asset_id: int) -> dict[str, int]:
    """Part number -> RMAs on this asset, for part models that failed more than once."""
    counts: dict[str, int] = {}
    for rma in part_history(session, asset_id):
        if rma.state != S.CANCELLED.value:
            pn = rma.failed_component.part.part_number
            counts[pn] = counts.get(pn, 0) + 1
    return {pn: n for pn, n in counts.items() if n > 1}


def list_rmas(
    session: Session, actor: User, *, state: str = "open", assigned_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[list[Rma], int]:
    cond = [rma_filter(actor)]
    if assigned_only:
        cond = [Rma.field_engineer_id == actor.id]
    if state == "open":
        cond.append(Rma.state.not_in((S.CLOSED.value, S.CANCELLED.value)))
    elif state and state != "all":
        cond.append(Rma.state == state)
    where = and_(*cond)
    total = session.scalar(select(func.count()).select_from(Rma).where(where)) or 0
    stmt = (
        select(Rma)
        .where(where)
        .options(
            joinedload(Rma.asset),
            joinedload(Rma.case),
            joinedload(Rma.organization),
            joinedload(Rma.replacement_part),
            joinedload(Rma.field_engineer),
            joinedload(Rma.failed_component).joinedload(Component.part),
        )
        .order_by(Rma.updated_at.desc(), Rma.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if assigned_only:  # My dispatches shows the site, the visit and the work per card
        stmt = stmt.options(
            joinedload(Rma.asset).joinedload(Asset.site),
            joinedload(Rma.asset).joinedload(Asset.product),
            selectinload(Rma.dispatches),
        )
    return list(session.scalars(stmt).unique()), total


# --- the return clock, for the escalation ladder -----------------------------------


def pending_returns(session: Session, case_ids: list[int]) -> dict[int, list[PendingReturn]]:
    """Defective parts still owed back, per case, with the vendor staff to remind:
    the RMA's field engineer and the organisation's account team (never the customer)."""
    rows = session.execute(
        select(
            Rma.id,
            Rma.number,
            Rma.case_id,
            Rma.organization_id,
            Rma.return_due_at,
            Rma.field_engineer_id,
            Component.serial,
            Asset.serial.label("asset_serial"),
        )
        .join(Component, Component.id == Rma.failed_component_id)
        .join(Asset, Asset.id == Rma.asset_id)
        .where(Rma.case_id.in_(case_ids), Rma.state == S.RETURN_PENDING.value, Rma.return_due_at.is_not(None))
        .order_by(Rma.id)
    ).all()
    if not rows:
        return {}
    team: dict[int, list[int]] = {}
    for org_id, manager_id in session.execute(
        select(AccountAssignment.organization_id, AccountAssignment.account_manager_id)
        .where(AccountAssignment.organization_id.in_({r.organization_id for r in rows}))
        .order_by(AccountAssignment.account_manager_id)
    ):
        team.setdefault(org_id, []).append(manager_id)
    found: dict[int, list[PendingReturn]] = {}
    for r in rows:
        people = ([r.field_engineer_id] if r.field_engineer_id else []) + team.get(r.organization_id, [])
        label = (
            f"{r.number}: the defective part (SN {r.serial}, asset {r.asset_serial}) was due back on "
            f"{r.return_due_at:%Y-%m-%d} and has not been received yet. Please check with the customer."
        )
        found.setdefault(r.case_id, []).append(
            PendingReturn(r.id, label, r.return_due_at, tuple(dict.fromkeys(people)))
        )
    return found
