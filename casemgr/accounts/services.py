"""User administration use cases, for the admin pages, the REST API and the CLI alike.

Each takes the session, the acting user (``None``: the command line's operator, who has
an administrator's rights), ``now`` and the channel; it checks who may do it, applies the
rules, audits, queues any e-mail in the outbox and commits once.

Administrators manage every account; a customer admin manages their own organisation's
accounts only (anyone else's answers 404, as if it did not exist) and gives customer
roles only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.accounts import audit, links, mail
from casemgr.accounts.rules import AccountRuleError, check_assignment, check_not_self, may_manage_users
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.auth.services import find_user_by_email
from casemgr.concurrency import detect_conflicts
from casemgr.errors import ConflictError, ForbiddenError, NotFoundError
from casemgr.organizations.models import Organization

#: A field :func:`update_user` leaves as it is (None there means "clear it").
UNCHANGED: object = object()


def require_manager(actor: User | None) -> None:
    if actor is not None and not may_manage_users(actor.role):
        raise ForbiddenError("Only administrators and customer admins manage users.")


def _is_admin(actor: User | None) -> bool:
    return actor is None or actor.role == Role.ADMIN


def users_for(session: Session, actor: User | None, organization_id: int | None = None) -> list[User]:
    """The accounts ``actor`` manages, by organisation then e-mail (optionally one organisation's)."""
    require_manager(actor)
    stmt = select(User).join(Organization, Organization.id == User.organization_id)
    if not _is_admin(actor):
        assert actor is not None
        stmt = stmt.where(User.organization_id == actor.organization_id)
    if organization_id is not None:
        stmt = stmt.where(User.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(Organization.name, User.email)))


def organizations_for(session: Session, actor: User | None) -> list[Organization]:
    """The organisations ``actor`` may invite into."""
    require_manager(actor)
    stmt = select(Organization).order_by(Organization.is_vendor.desc(), Organization.name)
    if not _is_admin(actor):
        assert actor is not None
        stmt = stmt.where(Organization.id == actor.organization_id)
    return list(session.scalars(stmt))


def get_user_for(session: Session, actor: User | None, user_id: int) -> User:
    """The account ``user_id`` if ``actor`` manages it, else :class:`NotFoundError` (never a 403)."""
    require_manager(actor)
    stmt = select(User).where(User.id == user_id)
    if not _is_admin(actor):
        assert actor is not None
        stmt = stmt.where(User.organization_id == actor.organization_id)
    user = session.scalar(stmt)
    if user is None:
        raise NotFoundError(f"No user {user_id}.")
    return user


def find_managed_by_email(session: Session, actor: User | None, email: str) -> User:
    user = find_user_by_email(session, email)
    if user is None:
        raise NotFoundError(f"No user {email.strip()[:254]}.")
    return get_user_for(session, actor, user.id)


def _target_org(session: Session, actor: User | None, organization_id: int | None) -> Organization:
    if not _is_admin(actor):
        assert actor is not None
        if organization_id not in (None, actor.organization_id):
            raise NotFoundError(f"No organisation {organization_id}.")
        organization_id = actor.organization_id
    if organization_id is None:
        org = session.scalar(select(Organization).where(Organization.is_vendor.is_(True)).limit(1))
    else:
        org = session.get(Organization, organization_id)
    if org is None:
        raise NotFoundError(f"No organisation {organization_id}." if organization_id else "No vendor organisation.")
    return org


def _check_version(user: User, expected_version: int | None) -> None:
    if expected_version is not None and user.version != expected_version:
        raise ConflictError(
            f"{user.email} was changed by someone else since you opened it (your copy is version"
            f" {expected_version}, the account is now at version {user.version}). Reload and try again."
        )


def invite_user(
    session: Session,
    actor: User | None,
    *,
    email: str,
    role: str,
    now: datetime,
    channel: str,
    organization_id: int | None = None,
    name: str | None = None,
    tier: str | None = None,
    region: str | None = None,
) -> User:
    """Create the account without a password and e-mail its set-password link (valid 72 h)."""
    require_manager(actor)
    org = _target_org(session, actor, organization_id)
    email = " ".join((email or "").split()).lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise AccountRuleError(f"{email[:254]!r} is not an e-mail address.")
    assignment = check_assignment(
        actor_role=actor.role if actor else None, role=role, tier=tier, org_is_vendor=org.is_vendor, org_name=org.name
    )
    if find_user_by_email(session, email) is not None:
        raise ConflictError(f"A user with e-mail {email} already exists.")
    user = User(
        email=email,
        role=assignment.role,
        tier=assignment.tier,
        organization_id=org.id,
        name=" ".join((name or "").split())[:200] or email.split("@")[0],
        region=(region or "").strip()[:64] or None,
        created_at=now,
        password_hash="",
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"A user with e-mail {email} already exists.") from None
    token = links.issue_link(session, user, "invite", now, actor)
    mail.queue_invitation(session, user, org, token, actor, now)
    audit.record(session, actor, user, "invited", channel=channel, now=now, detail=f"as {user.role} in {org.name}")
    session.commit()
    return user


@detect_conflicts("account")
def update_user(
    session: Session,
    actor: User | None,
    target: User,
    *,
    expected_version: int | None,
    now: datetime,
    channel: str,
    role: str | None = None,
    tier: object = UNCHANGED,
    name: str | None = None,
    region: object = UNCHANGED,
) -> User:
    """Change role, tier, name or region. Changing the role away from support engineer
    drops the tier; a customer admin changes roles among the customer roles only."""
    require_manager(actor)
    _check_version(target, expected_version)
    new_role = role if role is not None else target.role
    new_tier = target.tier if tier is UNCHANGED else tier
    if new_role != Role.SUPPORT_ENGINEER and tier is UNCHANGED:
        new_tier = None
    if new_role != target.role:
        check_not_self(actor.id if actor else None, target.id, "change the role of")
    assignment = check_assignment(
        actor_role=actor.role if actor else None,
        role=new_role,
        tier=new_tier if isinstance(new_tier, str) else None,
        org_is_vendor=target.organization.is_vendor,
        org_name=target.organization.name,
    )
    changes: list[tuple[str, str]] = []
    if assignment.role != target.role:
        changes.append(("role_changed", f"role {target.role} -> {assignment.role}"))
        target.role = assignment.role
    if assignment.tier != target.tier:
        changes.append(("tier_changed", f"tier {target.tier or 'none'} -> {assignment.tier or 'none'}"))
        target.tier = assignment.tier
    new_name = " ".join((name or "").split())[:200]
    if new_name and new_name != target.name:
        changes.append(("renamed", f"name {target.name!r} -> {new_name!r}"))
        target.name = new_name
    if region is not UNCHANGED:
        new_region = str(region or "").strip()[:64] or None
        if new_region != target.region:
            changes.append(("region_changed", f"region {target.region or 'none'} -> {new_region or 'none'}"))
            target.region = new_region
    for kind, detail in changes:
        audit.record(session, actor, target, kind, channel=channel, now=now, detail=detail)
    session.commit()
    return target


@detect_conflicts("account")
def deactivate_user(
    session: Session,
    actor: User | None,
    target: User,
    *,
    now: datetime,
    channel: str,
    expected_version: int | None = None,
) -> User:
    """The user can no longer log in, their API tokens answer 401, their sessions end and
    their unused set-password links stop working. Nothing of their history is removed."""
    require_manager(actor)
    _check_version(target, expected_version)
    check_not_self(actor.id if actor else None, target.id, "deactivate")
    if not target.is_active_flag:
        raise AccountRuleError(f"{target.email} is already deactivated.")
    target.is_active_flag = False
    target.session_generation += 1
    links.retire_links(session, target, now)
    audit.record(session, actor, target, "deactivated", channel=channel, now=now)
    session.commit()
    return target


@detect_conflicts("account")
def reactivate_user(
    session: Session,
    actor: User | None,
    target: User,
    *,
    now: datetime,
    channel: str,
    expected_version: int | None = None,
) -> User:
    require_manager(actor)
    _check_version(target, expected_version)
    if target.is_active_flag:
        raise AccountRuleError(f"{target.email} is already active.")
    target.is_active_flag = True
    audit.record(session, actor, target, "reactivated", channel=channel, now=now)
    session.commit()
    return target


def send_password_reset(session: Session, actor: User | None, target: User, *, now: datetime, channel: str) -> None:
    """E-mail the user a reset link (an invited user who never set a password gets a new
    invitation instead). Their current password keeps working until the link is used."""
    require_manager(actor)
    if not target.is_active_flag:
        raise AccountRuleError(f"{target.email} is deactivated; reactivate the account first.")
    purpose = "reset" if target.has_password else "invite"
    token = links.issue_link(session, target, purpose, now, actor)
    if purpose == "reset":
        mail.queue_reset(session, target, token, now, asked_by=actor)
    else:
        mail.queue_invitation(session, target, target.organization, token, actor, now)
    kind = "password_reset_sent" if purpose == "reset" else "invitation_resent"
    audit.record(session, actor, target, kind, channel=channel, now=now)
    session.commit()
