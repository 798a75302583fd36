"""Editing what was set up: version checks, validation, the audit trail, account managers,
and the clocks of open cases following a plan's new targets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casemgr.admin import account_managers, editing
from casemgr.admin.audit import trail
from casemgr.audit import AuditEntry
from casemgr.cases.rules import CaseRuleError
from casemgr.contracts.models import Contract
from casemgr.errors import ConflictError, ForbiddenError, NotFoundError
from tests.factories import create_case, create_user


def test_a_rename_is_saved_with_a_new_version_and_audited_with_actor_and_change(session, world, clock):
    root = world.user("admin")
    org = editing.update_organization(
        session, root, world.acme, version=world.acme.version, now=clock.now(), channel="web", name=" Acme Corp "
    )
    assert (org.name, org.version) == ("Acme Corp", 2)
    [entry] = trail(session, org)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id, entry.channel) == (
        root.id,
        "updated",
        "organization",
        org.id,
        "web",
    )
    assert entry.summary == "name: 'Acme' -> 'Acme Corp'" and entry.at == clock.now()


def test_an_edit_against_an_older_version_is_a_conflict_and_changes_nothing(session, world, clock):
    site = world.acme.sites[0]
    root = world.user("admin")
    editing.update_site(session, root, site, version=1, now=clock.now(), channel="api", region="us-east")
    with pytest.raises(ConflictError, match="version 1, it is now at version 2") as caught:
        editing.update_site(session, root, site, version=1, now=clock.now(), channel="api", region="eu-west")
    assert caught.value.details == {"current_version": 2}
    session.expire_all()
    assert site.region == "us-east" and len(trail(session, site)) == 1


def test_an_edit_without_a_version_is_refused(session, world, clock):
    with pytest.raises(CaseRuleError, match="which version"):
        editing.update_part(
            session, world.user("admin"), world.acme_asset.components[0].part, version=None, now=clock.now(),
            channel="api", kind="ssd",
        )  # fmt: skip


def test_a_site_time_zone_must_be_one_zoneinfo_knows(session, world, clock):
    site = world.acme.sites[0]
    with pytest.raises(CaseRuleError, match="Unknown time zone 'Mars/Olympus'"):
        editing.update_site(
            session, world.user("admin"), site, version=1, now=clock.now(), channel="web", timezone="Mars/Olympus"
        )
    session.rollback()
    assert site.timezone == "America/New_York" and session.scalar(select(AuditEntry.id)) is None


def test_only_administrators_edit(session, world, clock):
    with pytest.raises(ForbiddenError):
        editing.update_organization(
            session, world.user("manager"), world.acme, version=1, now=clock.now(), channel="web", name="X"
        )


def test_a_contract_cannot_end_before_it_starts_nor_cover_another_partners_asset(session, world, clock):
    contract = session.scalar(select(Contract).where(Contract.number == "C-ACME"))
    root = world.user("admin")
    with pytest.raises(CaseRuleError, match="cannot end before it starts"):
        editing.update_contract(
            session, root, contract, version=1, now=clock.now(), channel="api", ends_on=date(2025, 1, 1)
        )
    with pytest.raises(CaseRuleError, match="belongs to another organisation"):
        editing.update_contract(
            session, root, contract, version=1, now=clock.now(), channel="api", asset_serials=["GLOBEX-001"]
        )
    saved = editing.update_contract(
        session, root, contract, version=1, now=clock.now(), channel="api", plan_code="STD", ends_on=date(2028, 6, 30)
    )
    assert (saved.plan.code, saved.ends_on, saved.version) == ("STD", date(2028, 6, 30), 2)
    assert "plan: 'PREM' -> 'STD'" in trail(session, saved)[-1].summary


def test_new_targets_re_time_the_open_cases_on_the_plan(session, world, clock):
    case = create_case(session, asset=world.acme_asset, severity=1, now=clock.now())
    assert case.first_response_due_at == clock.now() + timedelta(minutes=30)
    plan = world.premium
    targets = {s: dict(row) for s, row in plan.targets.items()}
    targets["1"]["first_response"] = 15
    editing.update_plan(
        session, world.user("admin"), plan, version=plan.version, now=clock.now(), channel="web", targets=targets
    )
    session.expire_all()
    assert case.first_response_due_at == clock.now() + timedelta(minutes=15)


def test_a_plan_keeps_its_included_and_not_included_text(session, world, clock):
    plan = editing.update_plan(
        session,
        world.user("admin"),
        world.standard,
        version=1,
        now=clock.now(),
        channel="api",
        included=" Parts, labour and remote support \n",
        not_included="Consumables",
    )
    assert (plan.included, plan.not_included) == ("Parts, labour and remote support", "Consumables")


def test_an_account_manager_is_assigned_once_and_unassigned_with_an_audit_entry(session, world, clock):
    root, am = world.user("admin"), world.user("account")
    assert account_managers.account_managers_of(session, world.globex) == []
    account_managers.assign_account_manager(session, root, world.globex, now=clock.now(), channel="cli", user_id=am.id)
    assert account_managers.account_managers_of(session, world.globex) == [am]
    with pytest.raises(ConflictError, match="already an account manager of Globex"):
        account_managers.assign_account_manager(
            session, root, world.globex, now=clock.now(), channel="cli", email=am.email
        )
    session.rollback()
    account_managers.unassign_account_manager(
        session, root, world.globex, now=clock.now(), channel="web", email=am.email
    )
    assert account_managers.account_managers_of(session, world.globex) == []
    assert [(e.action, e.summary) for e in trail(session, world.globex)] == [
        ("assigned", f"account manager {am.email}"),
        ("unassigned", f"account manager {am.email}"),
    ]
    with pytest.raises(NotFoundError):
        account_managers.unassign_account_manager(
            session, root, world.globex, now=clock.now(), channel="web", user_id=am.id
        )


@pytest.mark.parametrize("who", ["engineer", "acme_admin", "manager"])
def test_only_vendor_account_managers_can_be_assigned(session, world, clock, who):
    with pytest.raises(CaseRuleError, match="not an active account manager"):
        account_managers.assign_account_manager(
            session, world.user("admin"), world.globex, now=clock.now(), channel="api", user_id=world.user(who).id
        )


def test_an_inactive_account_manager_cannot_be_assigned_nor_to_the_vendor(session, world, clock):
    gone = create_user(session, "account_manager", org=world.vendor)
    gone.is_active_flag = False
    session.commit()
    root = world.user("admin")
    with pytest.raises(CaseRuleError, match="not an active account manager"):
        account_managers.assign_account_manager(
            session, root, world.globex, now=clock.now(), channel="api", user_id=gone.id
        )
    with pytest.raises(CaseRuleError, match="partners, not to the vendor"):
        account_managers.assign_account_manager(
            session, root, world.vendor, now=clock.now(), channel="api", user_id=world.user("account").id
        )
