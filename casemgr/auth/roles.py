"""The roles of DESIGN.md and what each may broadly do (pure)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CUSTOMER_ADMIN = "customer_admin"
    CUSTOMER_USER = "customer_user"
    SUPPORT_ENGINEER = "support_engineer"
    FIELD_ENGINEER = "field_engineer"
    ACCOUNT_MANAGER = "account_manager"
    SUPPORT_MANAGER = "support_manager"
    ADMIN = "admin"


CUSTOMER_ROLES = frozenset({Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER})
#: Vendor roles that see and work every case.
CASE_WORKER_ROLES = frozenset({Role.SUPPORT_ENGINEER, Role.SUPPORT_MANAGER, Role.ADMIN})
#: Support tiers: a case sits in one queue; a support engineer works one.
TIERS = ("L1", "L2", "L3")

ROLE_LABELS = {
    Role.CUSTOMER_ADMIN: "Customer admin",
    Role.CUSTOMER_USER: "Customer user",
    Role.SUPPORT_ENGINEER: "Support engineer",
    Role.FIELD_ENGINEER: "Field engineer",
    Role.ACCOUNT_MANAGER: "Account manager",
    Role.SUPPORT_MANAGER: "Support manager",
    Role.ADMIN: "Administrator",
}


def is_customer(role: str) -> bool:
    return role in CUSTOMER_ROLES


def works_cases(role: str) -> bool:
    """Vendor staff who reply, change status and take ownership."""
    return role in CASE_WORKER_ROLES


def can_open_cases(role: str) -> bool:
    return role in CUSTOMER_ROLES or role in CASE_WORKER_ROLES
