"""Who may see what: the one place every view, export and API call goes through.

Scoping lives inside the lookups (``get_case_for``) so a view cannot forget
it; anything outside the actor's reach raises :class:`NotFoundError`, which
the edges turn into a 404 whether the object exists or not.
"""

from __future__ import annotations

from flask import has_app_context
from sqlalchemy import ColumnElement, Row, bindparam, false, select, true
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases.models import Case
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.organizations.models import AccountAssignment, Organization
from casemgr.registry import registry_of


def assigned_org_ids(actor: User):
    """Sub-select of the partners an account manager watches."""
    return select(AccountAssignment.organization_id).where(AccountAssignment.account_manager_id == actor.id)


def scope_of(actor: User) -> str:
    """Which organisations ``actor`` reaches: their own, all, the assigned partners, or none."""
    if actor.role in CUSTOMER_ROLES:
        return "own"
    if actor.role in CASE_WORKER_ROLES:
        return "all"
    if actor.role == Role.ACCOUNT_MANAGER:
        return "assigned"
    return "none"  # field engineers reach cases only through their dispatches (RMA area)


def org_filter(actor: User, column) -> ColumnElement[bool]:
    """Filter on an organisation id column for what ``actor`` may see."""
    return _org_scope(column, scope_of(actor), actor.organization_id, actor.id)


def org_filter_template(column, scope: str) -> ColumnElement[bool]:
    """:func:`org_filter` for a statement built once per scope (:func:`scope_of`) and run for
    any actor with :func:`scope_params`: a hot query then skips rebuilding its cache key."""
    return _org_scope(column, scope, None, None)


def scope_params(actor: User) -> dict[str, int]:
    return {"scope_org": actor.organization_id, "scope_user": actor.id}


def _org_scope(column, scope: str, org_id: int | None, user_id: int | None) -> ColumnElement[bool]:
    template = org_id is None and user_id is None
    if scope == "own":
        return column == bindparam("scope_org", org_id, required=template, unique=not template)
    if scope == "all":
        return true()
    if scope == "assigned":
        return column.in_(
            select(AccountAssignment.organization_id).where(
                AccountAssignment.account_manager_id
                == bindparam("scope_user", user_id, required=template, unique=not template)
            )
        )
    return false()


def serviced_case_ids(actor: User):
    """Sub-select of the cases a field engineer services (the RMA area says which: those
    behind their dispatches), or None for everyone else."""
    if actor.role != Role.FIELD_ENGINEER or not has_app_context():
        return None
    serviced = registry_of().serviced_cases
    return serviced(actor) if serviced is not None else None


def case_filter(actor: User) -> ColumnElement[bool]:
    serviced = serviced_case_ids(actor)
    if serviced is not None:
        return Case.id.in_(serviced)  # read-only: can_work_case() is False for field engineers
    return org_filter(actor, Case.organization_id)


def asset_filter(actor: User) -> ColumnElement[bool]:
    """The assets ``actor`` may see: their organisations', or for a field engineer those of
    the cases they service."""
    serviced = serviced_case_ids(actor)
    if serviced is not None:
        return Asset.id.in_(select(Case.asset_id).where(Case.id.in_(serviced), Case.asset_id.is_not(None)))
    return org_filter(actor, Asset.organization_id)


def get_case_for(session: Session, actor: User, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number, case_filter(actor)))
    if case is None:
        raise NotFoundError(f"No case {number}.")
    return case


def get_asset_for(session: Session, actor: User, serial: str) -> Asset:
    asset = session.scalar(select(Asset).where(Asset.serial == serial, asset_filter(actor)))
    if asset is None:
        raise NotFoundError(f"No asset {serial}.")
    return asset


def visible_organizations(session: Session, actor: User) -> list[Organization]:
    stmt = (
        select(Organization)
        .where(Organization.is_vendor.is_(False), org_filter(actor, Organization.id))
        .order_by(Organization.name)
    )
    return list(session.scalars(stmt))


def organization_choices(session: Session, actor: User) -> list[Row[tuple[int, str]]]:
    """(id, name) of the partners ``actor`` may see, by name: the options of a filter menu
    (plain rows, not entities: a vendor's menu lists every partner on every queue page)."""
    stmt = (
        select(Organization.id, Organization.name)
        .where(Organization.is_vendor.is_(False), org_filter(actor, Organization.id))
        .order_by(Organization.name)
    )
    return list(session.execute(stmt))


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
