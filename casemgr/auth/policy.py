"""Who may see what: the one place every view, export and API call goes through.

Scoping lives inside the lookups (``get_case_for``) so a view cannot forget
it; anything outside the actor's reach raises :class:`NotFoundError`, which
the edges turn into a 404 whether the object exists or not.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases.models import Case
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.organizations.models import AccountAssignment, Organization


def assigned_org_ids(actor: User):
    """Sub-select of the partners an account manager watches."""
    return select(AccountAssignment.organization_id).where(AccountAssignment.account_manager_id == actor.id)


def org_filter(actor: User, column) -> ColumnElement[bool]:
    """Filter on an organisation id column for what ``actor`` may see."""
    if actor.role in CUSTOMER_ROLES:
        return column == actor.organization_id
    if actor.role in CASE_WORKER_ROLES:
        return true()
    if actor.role == Role.ACCOUNT_MANAGER:
        return column.in_(assigned_org_ids(actor))
    # Field engineers reach cases only through their dispatches (RMA area).
    return false()


def case_filter(actor: User) -> ColumnElement[bool]:
    return org_filter(actor, Case.organization_id)


def get_case_for(session: Session, actor: User, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number, case_filter(actor)))
    if case is None:
        raise NotFoundError(f"No case {number}.")
    return case


def get_asset_for(session: Session, actor: User, serial: str) -> Asset:
    asset = session.scalar(select(Asset).where(Asset.serial == serial, org_filter(actor, Asset.organization_id)))
    if asset is None:
        raise NotFoundError(f"No asset {serial}.")
    return asset


def visible_organizations(session: Session, actor: User) -> list[Organization]:
    stmt = select(Organization).where(
        Organization.is_vendor.is_(False), org_filter(actor, Organization.id)
    ).order_by(Organization.name)
    return list(session.scalars(stmt))


def can_work_case(actor: User) -> bool:
    """Reply publicly or internally, change status/severity/owner."""
    return actor.role in CASE_WORKER_ROLES


def can_reply_as_customer(actor: User, case: Case) -> bool:
    return actor.role in CUSTOMER_ROLES and actor.organization_id == case.organization_id


def require_case_worker(actor: User) -> None:
    if not can_work_case(actor):
        raise ForbiddenError("Only support staff can do that.")


def can_see_internal(actor: User) -> bool:
    """Internal notes are for vendor staff, never for the customer."""
    return actor.role not in CUSTOMER_ROLES
