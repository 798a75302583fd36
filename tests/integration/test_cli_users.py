"""``casemgr user invite|deactivate|reactivate|set-role|reset-password``, against both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.accounts.models import AccountEvent
from casemgr.auth.models import User
from casemgr.notifications.models import Notification


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=["user", *args], catch_exceptions=False)

    return run


def audit_of(session, email):
    session.expire_all()
    user = session.scalar(select(User).where(User.email == email))
    return [
        (e.kind, e.actor_id, e.channel)
        for e in session.scalars(select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id))
    ]


def test_invite_creates_the_account_and_queues_the_mail(cli, world, session):
    result = cli("invite", "--email", "ops@acme.example.com", "--role", "customer_admin", "--org", "Acme")
    assert result.exit_code == 0, result.output
    assert "Invited ops@acme.example.com (customer_admin) in Acme" in result.output
    mail = session.scalar(select(Notification).where(Notification.email == "ops@acme.example.com"))
    assert "/account/password/" in mail.body
    assert audit_of(session, "ops@acme.example.com") == [("invited", None, "cli")]
    engineer = cli("invite", "--email", "l3@vendor.example.com", "--role", "support_engineer", "--tier", "L3")
    assert engineer.exit_code == 0 and "in Vendor" in engineer.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--email", "x@acme.example.com", "--role", "customer_user", "--org", "Nowhere"), "No organisation named"),
        (("--email", "x@acme.example.com", "--role", "support_engineer", "--org", "Acme"), "vendor organisation"),
        (("--email", "admin@acme.example.com", "--role", "customer_user", "--org", "Acme"), "already exists"),
    ],
)
def test_invite_explains_what_it_refuses(cli, world, args, message):
    result = cli("invite", *args)
    assert result.exit_code == 1 and message in result.output


def test_deactivate_reactivate_set_role_and_reset_password(cli, world, session):
    email = "user@acme.example.com"
    assert "Deactivated user@acme.example.com." in cli("deactivate", email).output
    again = cli("deactivate", email)
    assert again.exit_code == 1 and "already deactivated" in again.output
    assert "Reactivated" in cli("reactivate", email).output
    assert "is now customer_admin." in cli("set-role", email, "customer_admin").output
    refused = cli("set-role", email, "support_manager")
    assert refused.exit_code == 1 and "vendor organisation" in refused.output
    tiered = cli("set-role", "eng@vendor.example.com", "support_engineer", "--tier", "L2")
    assert "is now support_engineer (L2)." in tiered.output
    assert "is in the outbox" in cli("reset-password", email).output
    unknown = cli("reset-password", "nobody@acme.example.com")
    assert unknown.exit_code == 1 and "No user nobody@acme.example.com" in unknown.output
    assert [k for k, _a, _c in audit_of(session, email)] == [
        "deactivated",
        "reactivated",
        "role_changed",
        "password_reset_sent",
    ]
    assert {(a, c) for _k, a, c in audit_of(session, email)} == {(None, "cli")}
