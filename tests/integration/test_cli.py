"""The ``casemgr`` command against real databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casemgr.assets.models import Asset, Component
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.registry import registry_of
from escalation.models import EscalationSchedule


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args, input=None):
        return runner.invoke(args=list(args), input=input, catch_exceptions=False)

    return run


def test_user_create_reads_the_password_from_stdin_and_hashes_it(cli, world, session):
    result = cli(
        "user",
        "create",
        "--email",
        "New.Eng@Vendor.example.com",
        "--role",
        "support_engineer",
        "--password-stdin",
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "new.eng@vendor.example.com"))
    assert user.role == "support_engineer" and user.organization_id == world.vendor.id
    assert "a long enough secret" not in user.password_hash and user.check_password("a long enough secret")


@pytest.mark.parametrize(
    "args,message",
    [
        (["--role", "wizard"], "Unknown role"),
        (["--role", "customer_admin"], "belongs to a partner organisation"),
        (["--role", "customer_admin", "--org", "Nope Inc"], "No organisation named"),
        (["--role", "support_manager", "--tier", "L2"], "Only a support engineer has a tier"),
    ],
)
def test_user_create_explains_bad_input(cli, world, args, message):
    result = cli(
        "user", "create", "--email", "x@acme.example.com", *args, "--password-stdin", input="a long enough secret\n"
    )
    assert result.exit_code != 0 and message in result.output


def test_user_create_gives_a_support_engineer_a_tier(cli, world, session):
    result = cli(
        "user",
        "create",
        "--email",
        "l3@vendor.example.com",
        "--role",
        "support_engineer",
        "--tier",
        "L3",
        "--password-stdin",
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(User.tier).where(User.email == "l3@vendor.example.com")) == "L3"


def test_user_create_refuses_a_short_password(cli, world):
    result = cli(
        "user",
        "create",
        "--email",
        "x@acme.example.com",
        "--role",
        "customer_user",
        "--org",
        "Acme",
        "--password-stdin",
        input="short\n",
    )
    assert result.exit_code != 0 and "at least 10 characters" in result.output


def test_assets_import_reports_every_bad_row_and_imports_nothing(cli, world, session, tmp_path):
    csv_file = tmp_path / "assets.csv"
    csv_file.write_text(
        "serial,product_model,organization,site,contract,components\n"
        "NEW-001,SA-1,Acme,Acme DC,C-ACME,bay 1=DRV-1:D001; PSU 1=PSU-1:P001\n"
        "NEW-002,SA-9,Acme,Acme DC,,\n"
        "ACME-001,SA-1,Acme,Acme DC,,\n"
        "NEW-003,SA-1,Acme,Nowhere,,\n"
        "NEW-004,SA-1,Acme,Acme DC,C-GLOBEX,\n"
        "NEW-005,SA-1,Acme,Acme DC,,bay 1=DRV-1\n"
        "NEW-001,SA-1,Acme,Acme DC,,\n"
        ",SA-1,Acme,Acme DC,,\n"
    )
    before = session.scalar(select(func.count()).select_from(Asset))
    result = cli("assets", "import", str(csv_file))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert lines == [
        "line 3: unknown product model 'SA-9'",
        "line 4: serial ACME-001 is already registered",
        "line 5: organisation Acme has no site 'Nowhere'",
        "line 6: contract 'C-GLOBEX' does not belong to Acme",
        "line 7: component 'bay 1=DRV-1' is not in the form slot=PART_NUMBER:SERIAL",
        "line 8: serial NEW-001 appears twice in this file",
        "line 9: serial is empty",
    ]
    assert "7 invalid row(s); nothing was imported." in result.output
    assert session.scalar(select(func.count()).select_from(Asset)) == before


def test_assets_import_of_a_clean_file_adds_assets_components_and_coverage(cli, world, session, tmp_path):
    csv_file = tmp_path / "assets.csv"
    csv_file.write_text(
        "serial,product_model,organization,site,contract,components\n"
        "new-001,SA-1,Acme,Acme DC,C-ACME,bay 1=DRV-1:d001; PSU 1=PSU-1:P001\n"
        "NEW-002,SA-1,Globex,Globex Lab,,\n"
    )
    result = cli("assets", "import", str(csv_file))
    assert result.exit_code == 0, result.output
    assert "Imported 2 asset(s) with 2 component(s)." in result.output
    session.expire_all()
    asset = session.scalar(select(Asset).where(Asset.serial == "NEW-001"))
    assert sorted((c.slot, c.serial) for c in asset.components) == [("PSU 1", "P001"), ("bay 1", "D001")]
    assert session.scalar(select(func.count()).select_from(Component).where(Component.asset_id == asset.id)) == 2


def test_assets_import_names_missing_columns(cli, world, tmp_path):
    csv_file = tmp_path / "assets.csv"
    csv_file.write_text("serial,organization\nX,Acme\n")
    result = cli("assets", "import", str(csv_file))
    assert result.exit_code == 1 and "line 1: missing column(s): product_model, site" in result.output


def test_demo_loads_partners_assets_cases_and_prints_a_login_per_role(app, cli, session):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    for role in (
        "customer_admin",
        "customer_user",
        "support_engineer",
        "field_engineer",
        "account_manager",
        "support_manager",
        "admin",
    ):
        assert f"  {role} " in result.output
    assert session.scalar(select(func.count()).select_from(Asset)) == 60
    open_cases = session.scalar(select(func.count()).select_from(Case).where(Case.status != "closed"))
    assert open_cases >= 5
    assert session.scalar(select(func.count()).select_from(Case).where(Case.entitled.is_(False))) >= 1
    # Every area's cases are in before the runner is replayed: nothing is left due for the first tick.
    now = registry_of(app).clock.now()
    assert session.scalar(select(func.min(EscalationSchedule.next_check_at))) > now
    again = cli("demo")
    assert again.exit_code == 0 and session.scalar(select(func.count()).select_from(Asset)) == 60


def test_demo_passwords_printed_are_the_ones_that_work(cli, web):
    output = cli("demo").output
    line = next(line for line in output.splitlines() if "support_engineer" in line)
    email, password = line.split()[1], line.split("password: ")[1]
    assert web().login(email, password).get("/cases/").status_code == 200


def test_db_upgrade_is_idempotent(cli):
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "is at head" in result.output
