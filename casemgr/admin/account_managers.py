"""Which account managers watch a partner (``AccountAssignment``): the assignment decides
what they see (casemgr.auth.policy). Assigning and unassigning are admin actions, audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.admin import audit
from casemgr.admin.services import require_admin
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ConflictError, NotFoundError
from casemgr.organizations.models import AccountAssignment, Organization


def account_managers_of(session: Session, org: Organization) -> list[User]:
    stmt = (
        select(User)
        .join(AccountAssignment, AccountAssignment.account_manager_id == User.id)
        .where(AccountAssignment.organization_id == org.id)
        .order_by(User.email)
    )
    return list(session.scalars(stmt))


def assignable_account_managers(session: Session) -> list[User]:
    """Active vendor users with the account manager role: the only ones who can be assigned."""
    stmt = (
        select(User)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.role == Role.ACCOUNT_MANAGER, User.is_active_flag.is_(True), Organization.is_vendor.is_(True))
        .order_by(User.email)
    )
    return list(session.scalars(stmt))


def _account_manager(session: Session, *, user_id: int | None = None, email: str | None = None) -> User:
    if user_id is not None:
        user = session.get(User, user_id)
    else:
        user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or user not in assignable_account_managers(session):
        who = user_id if user_id is not None else email
        raise CaseRuleError(f"{who} is not an active account manager of the vendor.")
    return user


def assign_account_manager(
    session: Session,
    actor: User,
    org: Organization,
    *,
    now: datetime,
    channel: str,
    user_id: int | None = None,
    email: str | None = None,
) -> User:
    """``org`` (a partner) is watched by the account manager named by id or e-mail."""
    require_admin(actor)
    if org.is_vendor:
        raise CaseRuleError("Account managers are assigned to partners, not to the vendor.")
    manager = _account_manager(session, user_id=user_id, email=email)
    if manager in account_managers_of(session, org):
        raise ConflictError(f"{manager.email} is already an account manager of {org.name}.")
    session.add(AccountAssignment(account_manager_id=manager.id, organization_id=org.id))
    audit.record(session, actor, "assigned", org, summary=f"account manager {manager.email}", channel=channel, now=now)
    session.commit()
    return manager


def unassign_account_manager(
    session: Session,
    actor: User,
    org: Organization,
    *,
    now: datetime,
    channel: str,
    user_id: int | None = None,
    email: str | None = None,
) -> User:
    """The account manager stops watching ``org``; 404 when they were not assigned to it."""
    require_admin(actor)
    if user_id is None:
        user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
        user_id = user.id if user is not None else None
    assignment = session.scalar(
        select(AccountAssignment).where(
            AccountAssignment.organization_id == org.id, AccountAssignment.account_manager_id == user_id
        )
    )
    if assignment is None:
        raise NotFoundError(f"{email or user_id} is not an account manager of {org.name}.")
    manager = session.get(User, assignment.account_manager_id)
    assert manager is not None
    session.delete(assignment)
    audit.record(
        session, actor, "unassigned", org, summary=f"account manager {manager.email}", channel=channel, now=now
    )
    session.commit()
    return manager
