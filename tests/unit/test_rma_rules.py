"""Pure RMA rules: kinds offered by the contract, the defective part's fate, serial checks."""

from __future__ import annotations

import pytest

from rma import rules
from rma.states import RmaKind

K = RmaKind
NONE = rules.Entitlement(covered=False, onsite=True, advance_replacement=True, keep_your_drive=True)
STANDARD = rules.Entitlement(covered=True)
PREMIUM = rules.Entitlement(covered=True, onsite=True, advance_replacement=True)
MISSION = rules.Entitlement(covered=True, onsite=True, advance_replacement=True, keep_your_drive=True)


@pytest.mark.parametrize(
    ("ent", "kinds"),
    [
        (NONE, [K.RETURN_AND_REPLACE]),  # entitlements of an expired plan count for nothing
        (STANDARD, [K.RETURN_AND_REPLACE]),
        (PREMIUM, [K.ONSITE_DISPATCH, K.ADVANCE_REPLACEMENT]),
        (rules.Entitlement(covered=True, advance_replacement=True), [K.ADVANCE_REPLACEMENT]),
        (rules.Entitlement(covered=True, onsite=True), [K.ONSITE_DISPATCH]),
    ],
)
def test_kinds_follow_the_contract(ent, kinds):
    assert rules.allowed_kinds(ent) == kinds
    for kind in set(K) - set(kinds):
        with pytest.raises(rules.RmaRuleError, match="does not include"):
            rules.check_kind(ent, kind.value)
    assert rules.check_kind(ent, kinds[0].value) is kinds[0]


def test_unknown_kind_is_refused():
    with pytest.raises(rules.RmaRuleError, match="Unknown RMA kind"):
        rules.check_kind(PREMIUM, "teleport")


@pytest.mark.parametrize(
    ("ent", "data", "kind", "options"),
    [
        (MISSION, True, K.ADVANCE_REPLACEMENT, ["retained"]),
        (MISSION, True, K.ONSITE_DISPATCH, ["retained"]),
        (MISSION, True, K.RETURN_AND_REPLACE, ["return", "certified_destruction"]),
        (MISSION, False, K.ADVANCE_REPLACEMENT, ["return"]),
        (PREMIUM, True, K.ADVANCE_REPLACEMENT, ["return", "certified_destruction"]),
        (NONE, True, K.RETURN_AND_REPLACE, ["return", "certified_destruction"]),
        (STANDARD, False, K.RETURN_AND_REPLACE, ["return"]),
    ],
)
def test_disposition_options(ent, data, kind, options):
    assert rules.disposition_options(ent, data, kind) == options
    assert rules.check_disposition(ent, data, kind, None) == options[0]
    for other in set(rules.DISPOSITION_LABELS) - set(options):
        with pytest.raises(rules.RmaRuleError, match="not offered"):
            rules.check_disposition(ent, data, kind, other)


def test_serial_match_ignores_case_and_spaces_only():
    assert rules.serial_matches("ACME-001-D4", "  acme-001-d4 ")
    assert not rules.serial_matches("ACME-001-D4", "ACME-001-D3")
    assert rules.normalise_serial(" ab1 ") == "AB1"
