"""The safety guard on every path, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from casemgr.assets.models import Component, QuarantinedSerial
from casemgr.assets.services import install_component, mark_component
from casemgr.cases import comments as case_comments
from casemgr.cases.action_plans import PlanStep, send_action_plan
from casemgr.cases.models import CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.safety.models import SafetyBlock
from casemgr.safety.services import SafetyBlocked

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UNSAFE = "Please pull the failed drive in bay 2 and push it back in to see if it rebuilds."


def test_an_unsafe_public_reply_is_refused_recorded_and_never_sent(session, world, store, failed_case):
    with pytest.raises(SafetyBlocked) as refused:
        case_comments.add_comment(session, world.user("engineer"), store, failed_case, body=UNSAFE, public=True, now=T0)
    refusal = refused.value.refusals[0]
    assert "ACME-001-D2" in refusal.decision.reason and "bay 2" in refusal.decision.reason
    assert "open an RMA" in refusal.decision.safe_alternative
    session.expire_all()
    comments = session.scalars(select(CaseEvent.body).where(CaseEvent.kind == "comment")).all()
    assert UNSAFE not in comments
    block = session.scalar(select(SafetyBlock))
    assert (block.channel, block.case_id, block.actor_id) == ("public_reply", failed_case.id, world.user("engineer").id)
    assert block.rule_code == "SG-REINSERT-FAILED" and "push it back in" in block.attempted
    event = session.scalar(select(CaseEvent).where(CaseEvent.kind == "safety_block"))
    assert event.public is False


def test_an_internal_note_is_kept_but_marked_by_the_guard(session, world, store, failed_case):
    event = case_comments.add_comment(
        session, world.user("engineer"), store, failed_case, body=UNSAFE, public=False, now=T0
    )
    assert event.body == UNSAFE
    assert event.data["safety_flags"][0]["rule"] == "SG-REINSERT-FAILED"
    assert session.scalar(select(func.count()).select_from(SafetyBlock)) == 0


def test_safe_replies_pass(session, world, store, failed_case):
    for text in (
        "Do not reinsert the failed drive in bay 2; we are shipping a replacement.",
        "When the replacement arrives, insert the new drive from the RMA into bay 2.",
        "Please reseat the drive in bay 3 and send logs.",
    ):
        case_comments.add_comment(session, world.user("engineer"), store, failed_case, body=text, public=True, now=T0)
    assert session.scalar(select(func.count()).select_from(SafetyBlock)) == 0


def test_an_action_plan_with_an_unsafe_step_is_refused_whole(session, world, failed_case):
    steps = [
        PlanStep("collect_logs", None),
        PlanStep("force_online", "ACME-001-D2", "to restore the RAID"),
        PlanStep("reseat_component", "ACME-001-D3"),
    ]
    with pytest.raises(SafetyBlocked) as refused:
        send_action_plan(session, world.user("engineer"), failed_case, steps, T0)
    assert [r.decision.rule_code for r in refused.value.refusals] == ["SG-FORCE-ONLINE-FAILED"]
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "action_plan")) == 0
    assert session.scalar(select(SafetyBlock.channel)) == "action_plan"
    event = send_action_plan(
        session,
        world.user("engineer"),
        failed_case,
        [PlanStep("collect_logs", None), PlanStep("replace_component", "ACME-001-D2")],
        T0,
    )
    assert event.public and "Replace a component" in event.body


def test_an_action_plan_refuses_unknown_actions_and_foreign_components(session, world, failed_case):
    with pytest.raises(CaseRuleError, match="unknown action"):
        send_action_plan(session, world.user("engineer"), failed_case, [PlanStep("pray", None)], T0)
    with pytest.raises(CaseRuleError, match="not a component of this case"):
        send_action_plan(
            session, world.user("engineer"), failed_case, [PlanStep("reseat_component", "GLOBEX-001-D1")], T0
        )


def test_a_power_cycle_during_a_rebuild_is_refused(session, world, failed_case):
    world.acme_asset.rebuilding = True
    session.commit()
    with pytest.raises(SafetyBlocked) as refused:
        send_action_plan(session, world.user("engineer"), failed_case, [PlanStep("power_cycle", None)], T0)
    assert refused.value.refusals[0].decision.rule_code == "SG-POWER-CYCLE-REBUILD"


def test_installing_a_replacement_quarantines_the_failed_serial_everywhere(session, world, failed_case):
    engineer = world.user("engineer")
    install_component(session, engineer, world.acme_asset, slot="bay 2", part_number="DRV-1", serial="NEW-D2", now=T0)
    old = session.scalar(select(Component).where(Component.serial == "ACME-001-D2"))
    assert old.state == "removed" and session.get(QuarantinedSerial, "ACME-001-D2") is not None
    for asset, slot in ((world.acme_asset, "bay 2"), (world.globex_asset, "bay 1")):
        with pytest.raises(SafetyBlocked) as refused:
            install_component(session, engineer, asset, slot=slot, part_number="DRV-1", serial="acme-001-d2", now=T0)
        assert refused.value.refusals[0].decision.rule_code == "SG-INSTALL-QUARANTINED"
    assert session.scalar(select(func.count()).select_from(SafetyBlock).where(SafetyBlock.channel == "install")) == 2
    assert (
        session.scalar(
            select(Component.serial).where(
                Component.asset_id == world.acme_asset.id, Component.slot == "bay 2", Component.state == "active"
            )
        )
        == "NEW-D2"
    )


def test_reinserting_a_removed_serial_is_refused(session, world):
    engineer = world.user("engineer")
    install_component(session, engineer, world.acme_asset, slot="PSU 1", part_number="PSU-1", serial="PSU-NEW", now=T0)
    with pytest.raises(SafetyBlocked):
        install_component(
            session, engineer, world.acme_asset, slot="PSU 1", part_number="PSU-1", serial="ACME-001-P1", now=T0
        )


def test_install_refuses_incompatible_parts_and_serials_in_use(session, world):
    engineer = world.user("engineer")
    with pytest.raises(CaseRuleError, match="Unknown part"):
        install_component(session, engineer, world.acme_asset, slot="bay 1", part_number="NOPE", serial="X", now=T0)
    with pytest.raises(CaseRuleError, match="already installed"):
        install_component(
            session, engineer, world.acme_asset, slot="bay 1", part_number="DRV-1", serial="GLOBEX-001-D1", now=T0
        )


def test_a_failed_part_cannot_be_marked_healthy_again(session, world, failed_case):
    bay2 = session.scalar(select(Component).where(Component.serial == "ACME-001-D2"))
    with pytest.raises(CaseRuleError, match="never go back into service"):
        mark_component(session, world.user("engineer"), bay2, "active", T0)
