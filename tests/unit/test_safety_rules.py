"""Safety rules: each default rule blocks its case and allows the healthy counterpart."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from casemgr.safety.rules import (
    DEFAULT_RULES,
    ActionKind,
    AssetFacts,
    Decision,
    SafetyRule,
    evaluate,
    rules_from_dicts,
    rules_to_dicts,
)
from tests.safety_facts import ASSET, drive, psu

DRIVE = drive()
PSU = psu()
REBUILDING = AssetFacts(serial="CHS-0042", rebuilding=True, degraded=True)

# (rule code, action, unsafe component, unsafe asset, healthy component, healthy asset)
CASES = [
    ("SG-REINSERT-FAILED", ActionKind.REINSERT_COMPONENT, replace(DRIVE, state="failed"), ASSET, DRIVE, ASSET),
    ("SG-REINSERT-FAILED", ActionKind.RESEAT_COMPONENT, replace(DRIVE, state="failed"), ASSET, DRIVE, ASSET),
    (
        "SG-REINSERT-FAILED",
        ActionKind.RESEAT_COMPONENT,
        replace(DRIVE, state="quarantined"),
        ASSET,
        replace(DRIVE, state="suspect"),
        ASSET,
    ),
    ("SG-REINSERT-FAILED", ActionKind.REINSERT_COMPONENT, replace(PSU, state="removed"), ASSET, PSU, ASSET),
    ("SG-FORCE-ONLINE-FAILED", ActionKind.FORCE_ONLINE, replace(DRIVE, state="failed"), ASSET, DRIVE, ASSET),
    ("SG-FORCE-ONLINE-FAILED", ActionKind.CLEAR_FAULT, replace(DRIVE, state="failed"), ASSET, DRIVE, ASSET),
    ("SG-FORCE-ONLINE-FAILED", ActionKind.FORCE_ONLINE, replace(PSU, state="quarantined"), ASSET, PSU, ASSET),
    ("SG-POWER-CYCLE-REBUILD", ActionKind.POWER_CYCLE, None, REBUILDING, None, ASSET),
    ("SG-POWER-CYCLE-REBUILD", ActionKind.POWER_CYCLE, DRIVE, REBUILDING, DRIVE, ASSET),
    (
        "SG-DOWNGRADE-PENDING-FAILURE",
        ActionKind.DOWNGRADE_FIRMWARE,
        replace(DRIVE, pending_failure=True),
        ASSET,
        DRIVE,
        ASSET,
    ),
    (
        "SG-DOWNGRADE-PENDING-FAILURE",
        ActionKind.DOWNGRADE_FIRMWARE,
        replace(DRIVE, pending_failure=True),
        ASSET,
        replace(PSU, pending_failure=True),
        ASSET,
    ),
    (
        "SG-INSTALL-QUARANTINED",
        ActionKind.INSTALL_COMPONENT,
        replace(DRIVE, serial_quarantined=True),
        ASSET,
        DRIVE,
        ASSET,
    ),
    ("SG-INSTALL-FAILED", ActionKind.INSTALL_COMPONENT, replace(DRIVE, state="removed"), ASSET, DRIVE, ASSET),
]


@pytest.mark.parametrize(
    ("code", "action", "unsafe", "unsafe_asset", "healthy", "healthy_asset"),
    CASES,
    ids=[f"{c[0]}-{c[1].value}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_blocks_its_case_and_allows_the_healthy_counterpart(
    code, action, unsafe, unsafe_asset, healthy, healthy_asset
) -> None:
    decision = evaluate(action, unsafe, unsafe_asset)
    assert not decision.allowed
    assert decision.rule_code == code
    assert decision.reason and decision.safe_alternative
    assert evaluate(action, healthy, healthy_asset) == Decision.allow()


def test_every_default_rule_is_exercised() -> None:
    assert {case[0] for case in CASES} == {rule.code for rule in DEFAULT_RULES}


def test_reinsert_decision_names_the_part_and_points_to_an_rma() -> None:
    decision = evaluate(ActionKind.REINSERT_COMPONENT, replace(DRIVE, state="failed"), ASSET)
    assert decision.reason.startswith("drive SN ZK1234ABC in bay 4 is marked failed")
    assert decision.safe_alternative.startswith("open an RMA; a replacement ships under the customer's plan")


@pytest.mark.parametrize("code", [r.code for r in DEFAULT_RULES if r.code != "SG-POWER-CYCLE-REBUILD"])
def test_component_decisions_contain_serial_and_slot(code: str) -> None:
    case = next(c for c in CASES if c[0] == code)
    decision = evaluate(case[1], case[2], case[3])
    assert "ZK1234ABC" in decision.reason or "PS7781QQ" in decision.reason
    assert case[2].slot in decision.reason


def test_power_cycle_decision_names_the_asset_and_says_wait() -> None:
    decision = evaluate(ActionKind.POWER_CYCLE, None, REBUILDING)
    assert "CHS-0042" in decision.reason
    assert decision.safe_alternative == "wait until the rebuild completes; collect logs meanwhile"


def test_unrelated_actions_are_allowed_even_on_a_failed_part() -> None:
    failed = replace(DRIVE, state="failed", pending_failure=True)
    for action in (
        ActionKind.COLLECT_LOGS,
        ActionKind.REPLACE_COMPONENT,
        ActionKind.RESEAT_CABLE,
        ActionKind.UPDATE_FIRMWARE,
    ):
        assert evaluate(action, failed, REBUILDING).allowed
    assert evaluate("collect_logs", failed, ASSET).allowed  # plain strings are accepted


def test_missing_facts_do_not_match_a_rule_that_needs_them() -> None:
    assert evaluate(ActionKind.REINSERT_COMPONENT, None, ASSET).allowed
    assert evaluate(ActionKind.POWER_CYCLE, DRIVE, None).allowed


def test_first_matching_rule_wins() -> None:
    def rule(code: str) -> SafetyRule:
        return SafetyRule(
            code,
            frozenset({ActionKind.RESEAT_COMPONENT}),
            frozenset({"failed"}),
            None,
            None,
            None,
            None,
            f"{code}: {{kind_word}} {{serial}}",
            "open an RMA",
        )

    failed = replace(DRIVE, state="failed")
    assert evaluate(ActionKind.RESEAT_COMPONENT, failed, ASSET, (rule("A"), rule("B"))).rule_code == "A"
    assert evaluate(ActionKind.RESEAT_COMPONENT, failed, ASSET, (rule("B"), rule("A"))).rule_code == "B"
    # In the defaults, a quarantined serial in quarantined state hits the more specific rule first.
    both = replace(DRIVE, state="quarantined", serial_quarantined=True)
    assert evaluate(ActionKind.INSTALL_COMPONENT, both, ASSET).rule_code == "SG-INSTALL-QUARANTINED"
    assert evaluate(ActionKind.RESEAT_COMPONENT, failed, ASSET, ()).allowed


def test_rules_round_trip_through_json() -> None:
    data = json.loads(json.dumps(rules_to_dicts(DEFAULT_RULES)))
    assert rules_from_dicts(data) == DEFAULT_RULES
    first = data[0]
    assert first["code"] == "SG-REINSERT-FAILED"
    assert first["action_kinds"] == ["reinsert_component", "reseat_component"]
    assert first["component_states"] == ["failed", "quarantined", "removed"]
    assert first["requires_asset_rebuilding"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"action_kinds": ["reseat_everything"]}, "reseat_everything"),
        ({"component_states": ["broken"]}, "unknown component states"),
        ({"colour": "red"}, "unknown rule keys"),
        ({"reason_template": "{kind_word} {nonsense}"}, "bad template"),
        ({"requires_data_bearing": "yes"}, "true, false or null"),
        ({"action_kinds": []}, "non-empty"),
    ],
)
def test_rules_from_dicts_rejects_malformed_data(change: dict, message: str) -> None:
    data = {**rules_to_dicts(DEFAULT_RULES[:1])[0], **change}
    with pytest.raises(ValueError, match=message):
        rules_from_dicts([data])


def test_rules_from_dicts_rejects_duplicates_and_missing_keys() -> None:
    data = rules_to_dicts(DEFAULT_RULES[:1])
    with pytest.raises(ValueError, match="duplicate"):
        rules_from_dicts(data + data)
    with pytest.raises(ValueError, match="missing"):
        rules_from_dicts([{k: v for k, v in data[0].items() if k != "safe_alternative"}])


def test_decision_and_facts_are_validated() -> None:
    assert Decision.allow() == Decision(allowed=True)
    with pytest.raises(ValueError):
        Decision(allowed=False)
    with pytest.raises(ValueError):
        Decision(allowed=True, rule_code="SG-X")
    with pytest.raises(ValueError):
        replace(DRIVE, state="melted")
