"""``casemgr org|site|account-manager|contract``: scripts set partners up through the same
services, as a named administrator, audited on the "cli" channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.admin.account_managers import account_managers_of
from casemgr.audit import AuditEntry
from casemgr.contracts.models import Contract
from casemgr.organizations.models import Organization, Site

ADMIN = "root@vendor.example.com"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args, env=None):
        return runner.invoke(args=list(args), env=env, catch_exceptions=False)

    return run


def test_a_partner_is_set_up_from_a_script(cli, world, session):
    created = cli("org", "create", "Initech", "--as", ADMIN)
    assert created.exit_code == 0, created.output
    org = session.scalar(select(Organization).where(Organization.name == "Initech"))
    assert created.output == f"{org.id}\tInitech\n"
    site = cli(
        "site", "create", "--org", "Initech", "--name", "Austin DC", "--timezone", "America/Chicago",
        "--region", "us-central", env={"CASEMGR_ADMIN_EMAIL": ADMIN},
    )  # fmt: skip
    assert site.exit_code == 0, site.output
    assert session.scalar(select(Site.region).where(Site.organization_id == org.id)) == "us-central"
    contract = cli(
        "contract", "create", "--org", "Initech", "--number", "C-INI-1", "--plan", "STD",
        "--starts", "2026-01-01", "--ends", "2027-12-31", "--as", ADMIN,
    )  # fmt: skip
    assert contract.exit_code == 0, contract.output
    assert session.scalar(select(Contract.organization_id).where(Contract.number == "C-INI-1")) == org.id
    listed = cli("org", "list").output.splitlines()
    assert f"{org.id}\tInitech\t1 site(s)" in listed and not any("Vendor" in line for line in listed)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.object_type, e.action, e.channel, e.actor.email) for e in entries] == [
        ("organization", "created", "cli", ADMIN),
        ("site", "created", "cli", ADMIN),
        ("contract", "created", "cli", ADMIN),
    ]


def test_account_managers_are_assigned_and_unassigned_from_a_script(cli, world, session):
    am = world.user("account")
    assigned = cli("account-manager", "assign", "--org", "Globex", "--email", am.email, "--as", ADMIN)
    assert assigned.exit_code == 0 and f"{am.email} now watches Globex." in assigned.output
    session.expire_all()
    assert account_managers_of(session, world.globex) == [am]
    twice = cli("account-manager", "assign", "--org", "Globex", "--email", am.email, "--as", ADMIN)
    assert twice.exit_code == 1 and "already an account manager of Globex" in twice.output
    gone = cli("account-manager", "unassign", "--org", "Globex", "--email", am.email, "--as", ADMIN)
    assert gone.exit_code == 0
    session.expire_all()
    assert account_managers_of(session, world.globex) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("site", "create", "--org", "Globex", "--name", "X", "--timezone", "Mars/Olympus"), "Unknown time zone"),
        (("site", "create", "--org", "Nobody", "--name", "X", "--timezone", "UTC"), "No partner organisation named"),
        (("org", "create", "Acme"), "already exists"),
        (
            (
                "contract",
                "create",
                "--org",
                "Acme",
                "--number",
                "C-X",
                "--plan",
                "STD",
                "--starts",
                "2027-01-01",
                "--ends",
                "2026-01-01",
            ),
            "cannot end before it starts",
        ),  # fmt: skip
        (("account-manager", "assign", "--org", "Acme", "--email", "eng@vendor.example.com"), "not an active account"),
    ],
)
def test_a_refused_command_says_why_exits_1_and_writes_nothing(cli, world, session, args, message):
    result = cli(*args, "--as", ADMIN)
    assert result.exit_code == 1 and message in result.output
    assert session.scalar(select(AuditEntry.id)) is None


@pytest.mark.parametrize("email", ["mgr@vendor.example.com", "nobody@vendor.example.com"])
def test_only_an_active_administrator_can_be_named_as_the_actor(cli, world, session, email):
    result = cli("org", "create", "Initech", "--as", email)
    assert result.exit_code == 1 and f"{email} is not an active administrator" in result.output
    assert session.scalar(select(Organization).where(Organization.name == "Initech")) is None
