"""The rules of account administration, as pure functions (no Flask, no session).

Who may manage whom, which role fits which organisation, who has a tier, what makes a
password acceptable, and whether a set-password link can still be used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from casemgr.auth.roles import CUSTOMER_ROLES, ROLE_LABELS, TIERS, Role
from casemgr.errors import RuleError

MIN_PASSWORD = 10
MAX_PASSWORD = 256
#: An invitation is valid for three days, a reset link for two hours.
INVITE_VALID_FOR = timedelta(hours=72)
RESET_VALID_FOR = timedelta(hours=2)
#: Passwords seen so often in breaches that no length makes them acceptable.
COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty12345",
        "iloveyou123",
        "letmein1234",
        "welcome1234",
        "administrator",
        "changeme123",
        "passw0rd123",
        "correcthorsebatterystaple",
    }
)
#: The roles a customer admin may give (within their own organisation).
CUSTOMER_GRANTABLE = frozenset(CUSTOMER_ROLES)


class AccountRuleError(RuleError):
    """An account change the rules refuse (422 ``rule_violation``)."""


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is not acceptable, in one sentence, or None when it is."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters (this one has {len(password)})."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    folded = "".join(password.lower().split())
    if folded in COMMON_PASSWORDS:
        return "This password is one of the most common ones; choose another."
    if len(set(password)) < 5:
        return "Use at least 5 different characters."
    for own in (email.lower(), email.lower().split("@")[0], "".join(name.lower().split())):
        if len(own) >= 4 and own in folded:
            return "The password must not contain your e-mail address or name."
    return None


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    problem = password_problem(password, email=email, name=name)
    if problem is not None:
        raise AccountRuleError(problem)


def may_manage_users(role: str) -> bool:
    """Administrators manage everyone; customer admins their own organisation."""
    return role in (Role.ADMIN, Role.CUSTOMER_ADMIN)


def grantable_roles(actor_role: str | None) -> list[str]:
    """The roles ``actor_role`` may give (None: the command line's operator, who may give any)."""
    if actor_role == Role.CUSTOMER_ADMIN:
        return [r.value for r in Role if r in CUSTOMER_GRANTABLE]
    return [r.value for r in Role]


@dataclass(frozen=True)
class Assignment:
    """A role (and tier) checked against the organisation it is for."""

    role: str
    tier: str | None


def check_assignment(
    *, actor_role: str | None, role: str, tier: str | None, org_is_vendor: bool, org_name: str
) -> Assignment:
    """The role and tier as they will be stored, or :class:`AccountRuleError` saying why not.

    Vendor roles belong to the vendor's organisation and customer roles to a partner's; a
    customer admin gives customer roles only; only a support engineer has a tier (L1-L3)."""
    if role not in {r.value for r in Role}:
        raise AccountRuleError(f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.")
    if role not in grantable_roles(actor_role):
        raise AccountRuleError(f"You cannot give the role {ROLE_LABELS[Role(role)]}: it is a vendor role.")
    if (role in CUSTOMER_ROLES) == org_is_vendor:
        side = "a partner organisation" if role in CUSTOMER_ROLES else "the vendor organisation"
        raise AccountRuleError(f"The role {ROLE_LABELS[Role(role)]} belongs to {side}, not to {org_name}.")
    tier = tier or None
    if tier is not None and (role != Role.SUPPORT_ENGINEER or tier not in TIERS):
        raise AccountRuleError(f"Only a support engineer has a tier, one of {', '.join(TIERS)}.")
    return Assignment(role, tier)


def check_not_self(actor_id: int | None, target_id: int, what: str) -> None:
    """Nobody deactivates or demotes themselves: the last administrator could lock everyone out."""
    if actor_id is not None and actor_id == target_id:
        raise AccountRuleError(f"You cannot {what} your own account; ask another administrator.")


def link_state(*, expires_at: datetime, used_at: datetime | None, now: datetime) -> str:
    """``valid``, ``used`` (or replaced by a newer link) or ``expired``."""
    if used_at is not None:
        return "used"
    if now >= expires_at:
        return "expired"
    return "valid"
