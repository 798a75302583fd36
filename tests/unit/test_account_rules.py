"""The rules of account administration, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casemgr.accounts.rules import (
    AccountRuleError,
    check_assignment,
    check_not_self,
    grantable_roles,
    link_state,
    may_manage_users,
    password_problem,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short1!", "at least 10 characters (this one has 7)"),
        ("x" * 257, "at most 256"),
        ("Password123", "most common"),
        ("aaaaabbbbbaaaaa", "5 different characters"),
        ("ada.lovelace-rocks", "e-mail address or name"),
        ("my ADA LOVELACE pass", "e-mail address or name"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(password, expected):
    problem = password_problem(password, email="ada.lovelace@acme.example.com", name="Ada Lovelace")
    assert problem is not None and expected in problem


@pytest.mark.parametrize("password", ["correct horse battery", "Tr0ub4dor&3-staple", "a" * 5 + "bcdef" + "g" * 246])
def test_a_long_varied_password_is_accepted(password):
    assert password_problem(password, email="ada@acme.example.com", name="Ada") is None


def test_only_administrators_and_customer_admins_manage_users():
    assert [r for r in ("admin", "customer_admin", "customer_user", "support_manager") if may_manage_users(r)] == [
        "admin",
        "customer_admin",
    ]


def test_a_customer_admin_can_give_customer_roles_only():
    assert grantable_roles("customer_admin") == ["customer_admin", "customer_user"]
    assert "admin" in grantable_roles("admin") and "admin" in grantable_roles(None)
    with pytest.raises(AccountRuleError, match="vendor role"):
        check_assignment(actor_role="customer_admin", role="admin", tier=None, org_is_vendor=False, org_name="Acme")


@pytest.mark.parametrize(
    ("role", "vendor", "message"),
    [
        ("support_engineer", False, "belongs to the vendor organisation, not to Acme"),
        ("customer_user", True, "belongs to a partner organisation, not to Acme"),
        ("wizard", False, "Unknown role"),
    ],
)
def test_a_role_must_fit_the_organisation(role, vendor, message):
    with pytest.raises(AccountRuleError, match=message):
        check_assignment(actor_role="admin", role=role, tier=None, org_is_vendor=vendor, org_name="Acme")


def test_only_a_support_engineer_has_a_tier():
    assert (
        check_assignment(actor_role="admin", role="support_engineer", tier="L2", org_is_vendor=True, org_name="V").tier
        == "L2"
    )
    assert (
        check_assignment(actor_role="admin", role="support_engineer", tier="", org_is_vendor=True, org_name="V").tier
        is None
    )
    for role, tier in (("support_manager", "L2"), ("support_engineer", "L9")):
        with pytest.raises(AccountRuleError, match="Only a support engineer has a tier"):
            check_assignment(actor_role="admin", role=role, tier=tier, org_is_vendor=True, org_name="V")


def test_nobody_deactivates_themselves_but_the_command_line_may():
    with pytest.raises(AccountRuleError, match="your own account"):
        check_not_self(7, 7, "deactivate")
    check_not_self(7, 8, "deactivate")
    check_not_self(None, 8, "deactivate")


def test_a_link_is_valid_until_it_expires_or_is_used():
    expires = T0 + timedelta(hours=72)
    assert link_state(expires_at=expires, used_at=None, now=expires - timedelta(seconds=1)) == "valid"
    assert link_state(expires_at=expires, used_at=None, now=expires) == "expired"
    assert link_state(expires_at=expires, used_at=T0, now=T0 + timedelta(minutes=1)) == "used"
