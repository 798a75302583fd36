"""`casemgr init` from an empty database to a working service, without demo data,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casemgr import create_app
from casemgr.auth.models import User
from casemgr.cases import opening
from casemgr.clock import FixedClock
from casemgr.contracts.models import BusinessCalendar, SupportPlan
from casemgr.db import new_session
from casemgr.organizations.models import Organization
from casemgr.registry import registry_of
from escalation.models import EscalationFiring, EscalationLadder
from escalation.services import Settings, run_due
from tests.conftest import T0


@pytest.fixture
def fresh_app(empty_url, tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": empty_url,
            "SECRET_KEY": "test-only-" + "x" * 20,
            "CLOCK": FixedClock(T0),
            "RATELIMIT_ENABLED": False,
            "TESTING": True,
        }
    )
    yield app
    registry_of(app).db.dispose()


def init(app, *args, password: str | None = "a long enough secret"):
    flags = ["--vendor", "Acme Storage Inc", "--admin-email", "Ops@Acme-Storage.example.com", *args]
    if password is not None:
        flags.append("--password-stdin")
    return app.test_cli_runner().invoke(
        args=["init", *flags], input=f"{password}\n" if password is not None else None, catch_exceptions=False
    )


def counts(app) -> dict[str, int]:
    with new_session(app) as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Organization, User, BusinessCalendar, SupportPlan, EscalationLadder)
        }


def test_init_on_an_empty_database_makes_a_vendor_an_admin_calendars_a_plan_and_ladders(fresh_app):
    result = init(fresh_app)
    assert result.exit_code == 0, result.output
    assert "Vendor organisation created: Acme Storage Inc." in result.output
    assert "Admin created: ops@acme-storage.example.com." in result.output and "Next:" in result.output
    assert counts(fresh_app) == {
        "Organization": 1,
        "User": 1,
        "BusinessCalendar": 2,
        "SupportPlan": 1,
        "EscalationLadder": 4,  # one per severity
    }
    with new_session(fresh_app) as session:
        admin = session.scalar(select(User))
        assert admin.role == "admin" and admin.organization.is_vendor and admin.organization.name == "Acme Storage Inc"
        assert admin.check_password("a long enough secret") and "a long enough secret" not in admin.password_hash


def test_init_again_changes_nothing(fresh_app):
    assert init(fresh_app).exit_code == 0
    before = counts(fresh_app)
    again = init(fresh_app, password="a different secret value")
    assert again.exit_code == 0, again.output
    assert "Admin exists: ops@acme-storage.example.com (password unchanged)." in again.output
    assert "Default escalation ladders exist." in again.output
    assert counts(fresh_app) == before
    with new_session(fresh_app) as session:
        assert session.scalar(select(User)).check_password("a long enough secret")


def test_without_a_password_one_is_generated_and_shown_once(fresh_app):
    result = init(fresh_app, password=None)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "Password for ops@acme-storage.example.com:" in line)
    password = line.rsplit(": ", 1)[1].strip()
    with new_session(fresh_app) as session:
        assert len(password) >= 12 and session.scalar(select(User)).check_password(password)
    assert "Password for" not in init(fresh_app, password=None).output  # never again


@pytest.mark.parametrize(
    "args, message",
    [
        (["--admin-email", "not-an-address"], "is not an e-mail address"),
        (["--vendor", "   "], "Name the vendor organisation"),
    ],
)
def test_bad_input_is_explained_and_writes_nothing(fresh_app, args, message):
    runner = fresh_app.test_cli_runner()
    base = {"--vendor": "Acme Storage Inc", "--admin-email": "ops@acme-storage.example.com"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flags = [part for pair in base.items() for part in pair]
    result = runner.invoke(args=["init", *flags, "--password-stdin"], input="a long enough secret\n")
    assert result.exit_code != 0 and message in result.output
    assert counts(fresh_app)["User"] == 0


def test_a_short_password_is_refused(fresh_app):
    result = init(fresh_app, password="short")
    assert result.exit_code != 0 and "at least" in result.output


def test_an_existing_account_that_is_not_the_vendor_admin_is_not_taken_over(fresh_app):
    assert init(fresh_app).exit_code == 0
    with new_session(fresh_app, write=True) as session:
        admin = session.scalar(select(User))
        admin.role = "support_engineer"
        session.commit()
    result = init(fresh_app)
    assert result.exit_code != 0 and "already exists as support_engineer" in result.output


def test_a_severity_1_case_escalates_on_a_freshly_initialised_service(fresh_app):
    """No contract, no demo: the fallback plan times it and the default ladder fires."""
    assert init(fresh_app).exit_code == 0
    with new_session(fresh_app, write=True) as session:
        partner = Organization(name="First Partner", created_at=T0)
        session.add(partner)
        session.commit()
        case = opening.open_triage_case(
            session,
            organization_id=partner.id,
            opened_by=None,
            severity=1,
            subject="Array down",
            description="Everything is offline",
            now=T0,
            channel="email",
            requester="ops@first-partner.example.com",
        )
        assert case.first_response_due_at is not None
        case_id = case.id
    stats = run_due(
        registry_of(fresh_app).db.write_session_factory, T0 + timedelta(hours=2), Settings.from_app(fresh_app)
    )
    assert stats.fired >= 1 and not stats.failed
    with new_session(fresh_app) as session:
        fired = session.scalars(select(EscalationFiring).where(EscalationFiring.case_id == case_id)).all()
        assert fired, "the default ladder fired nothing"
