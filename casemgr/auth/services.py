"""User accounts: creation and authentication."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from casemgr.auth.models import User
from casemgr.auth.roles import CUSTOMER_ROLES, TIERS, Role
from casemgr.errors import InvalidInput, RuleError
from casemgr.organizations.models import Organization

MIN_PASSWORD = 10
log = logging.getLogger(__name__)


class UserError(RuleError):
    """An account that cannot be created as asked (422 ``rule_violation``)."""


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@cache
def _unknown_account_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None. An unknown e-mail costs
    the same password check as a known one, so the answer's timing tells nothing."""
    user = find_user_by_email(session, email)
    if user is None:
        check_password_hash(_unknown_account_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    organization: Organization,
    password: str,
    name: str | None,
    now: datetime,
    region: str | None = None,
    tier: str | None = None,
    actor: User | None = None,
    channel: str | None = None,
) -> User:
    """Create an account with its password. With ``channel`` (web, api, cli) the creation is
    recorded in the account audit trail as done by ``actor`` (None: the command line)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise UserError(f"{email!r} is not an e-mail address.")
    if role not in {r.value for r in Role}:
        raise UserError(f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"The password must have at least {MIN_PASSWORD} characters.")
    if (role in CUSTOMER_ROLES) == organization.is_vendor:
        side = "a partner organisation" if role in CUSTOMER_ROLES else "the vendor organisation"
        raise UserError(f"Role {role} belongs to {side}, not {organization.name}.")
    if tier is not None and (role != Role.SUPPORT_ENGINEER or tier not in TIERS):
        raise UserError(f"Only a support engineer has a tier, one of {', '.join(TIERS)}.")
    if find_user_by_email(session, email) is not None:
        raise UserError(f"A user with e-mail {email} already exists.")
    user = User(
        email=email,
        role=role,
        organization_id=organization.id,
        name=name or email.split("@")[0],
        region=region,
        tier=tier,
        created_at=now,
        password_hash="",
    )
    user.set_password(password)
    session.add(user)
    if channel is not None:
        from casemgr.accounts.audit import record

        session.flush()
        record(session, actor, user, "created", channel=channel, now=now, detail=f"as {role} in {organization.name}")
    session.commit()
    return user


def set_timezone(session: Session, user: User, name: str) -> str | None:
    """The zone ``user`` sees times in; "" means automatic (the browser's, else the site's).
    Returns the zone saved (None for automatic); an unknown name raises InvalidInput."""
    from casemgr.timezones import valid_zone

    name = (name or "").strip()
    zone = valid_zone(name) if name else None
    if name and zone is None:
        raise InvalidInput(f"Unknown time zone {name[:64]!r}: choose one from the list (e.g. Europe/Berlin).")
    user.timezone = zone
    session.commit()
    log.info("user %s set their time zone to %s", user.email, zone or "automatic")
    return zone
