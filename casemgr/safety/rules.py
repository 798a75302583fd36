"""Safety rules as data, and their evaluation.

A rule blocks an action on a component (or an asset) when all of its
conditions hold; ``evaluate`` returns the decision of the FIRST matching rule.
Each block carries the reason, worded with the facts of the case ("drive SN
ZK1234 in bay 4 is marked failed"), and a safe alternative (open an RMA).

Pure module: standard library only, no I/O, no clock. Rules can be stored as
JSON through ``rules_to_dicts`` / ``rules_from_dicts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class ActionKind(StrEnum):
    COLLECT_LOGS = "collect_logs"
    RESEAT_CABLE = "reseat_cable"
    RESEAT_COMPONENT = "reseat_component"
    REINSERT_COMPONENT = "reinsert_component"
    REPLACE_COMPONENT = "replace_component"
    UPDATE_FIRMWARE = "update_firmware"
    DOWNGRADE_FIRMWARE = "downgrade_firmware"
    POWER_CYCLE = "power_cycle"
    FORCE_ONLINE = "force_online"
    CLEAR_FAULT = "clear_fault"
    INSTALL_COMPONENT = "install_component"


COMPONENT_STATES = ("active", "suspect", "failed", "quarantined", "removed")
#: States in which a component must never be put back into service.
UNSAFE_STATES = frozenset({"failed", "quarantined", "removed"})

#: Placeholders a reason template or a safe alternative may use.
TEMPLATE_FIELDS = ("kind_word", "serial", "slot", "state", "asset_serial", "part_number", "part_description")
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class ComponentFacts:
    serial: str
    slot: str
    part_number: str
    part_description: str
    kind_word: str
    state: str
    data_bearing: bool
    pending_failure: bool = False
    serial_quarantined: bool = False

    def __post_init__(self) -> None:
        if self.state not in COMPONENT_STATES:
            raise ValueError(f"unknown component state {self.state!r}")

    @property
    def unsafe(self) -> bool:
        return self.state in UNSAFE_STATES


@dataclass(frozen=True)
class AssetFacts:
    serial: str
    rebuilding: bool = False
    degraded: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule_code: str | None = None
    reason: str | None = None
    safe_alternative: str | None = None

    def __post_init__(self) -> None:
        details = (self.rule_code, self.reason, self.safe_alternative)
        if self.allowed and any(d is not None for d in details):
            raise ValueError("an allowed decision carries no rule, reason or alternative")
        if not self.allowed and not all(details):
            raise ValueError("a blocking decision needs a rule code, a reason and a safe alternative")

    @classmethod
    def allow(cls) -> Decision:
        return cls(allowed=True)

    @classmethod
    def block(cls, rule_code: str, reason: str, safe_alternative: str) -> Decision:
        return cls(allowed=False, rule_code=rule_code, reason=reason, safe_alternative=safe_alternative)


_ACRONYMS = frozenset({"ssd", "hdd", "psu", "nvram", "nvme", "dimm", "hba", "fru"})  # "SSD SN ...", not "ssd SN ..."


def _template_values(component: ComponentFacts | None, asset: AssetFacts | None) -> dict[str, str]:
    values = dict.fromkeys(TEMPLATE_FIELDS, _UNKNOWN)
    if component is not None:
        kind = component.kind_word
        values.update(
            kind_word=kind.upper() if kind.lower() in _ACRONYMS else kind,
            serial=component.serial,
            slot=component.slot,
            state=component.state,
            part_number=component.part_number,
            part_description=component.part_description,
        )
    if asset is not None:
        values["asset_serial"] = asset.serial
    return values


def _flag_matches(expected: bool | None, actual: bool | None) -> bool:
    """None = "any"; otherwise the fact must be known and equal."""
    return expected is None or (actual is not None and actual is expected)


@dataclass(frozen=True)
class SafetyRule:
    code: str
    action_kinds: frozenset[ActionKind]
    component_states: frozenset[str]
    requires_data_bearing: bool | None
    requires_pending_failure: bool | None
    requires_asset_rebuilding: bool | None
    requires_serial_quarantined: bool | None
    reason_template: str
    safe_alternative: str

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("a rule needs a code")
        if not self.action_kinds or not all(isinstance(a, ActionKind) for a in self.action_kinds):
            raise ValueError(f"{self.code}: action_kinds must be a non-empty set of ActionKind")
        if unknown := set(self.component_states) - set(COMPONENT_STATES):
            raise ValueError(f"{self.code}: unknown component states {sorted(unknown)}")
        for text in (self.reason_template, self.safe_alternative):
            try:
                text.format_map(dict.fromkeys(TEMPLATE_FIELDS, ""))
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"{self.code}: bad template {text!r}: {exc}") from exc

    def matches(self, action: ActionKind, component: ComponentFacts | None, asset: AssetFacts | None) -> bool:
        """Every condition must hold; a condition on missing facts does not hold."""
        if action not in self.action_kinds:
            return False
        needs_component = bool(self.component_states) or any(
            flag is not None
            for flag in (self.requires_data_bearing, self.requires_pending_failure, self.requires_serial_quarantined)
        )
        if component is None:
            if needs_component:
                return False
        elif (self.component_states and component.state not in self.component_states) or not (
            _flag_matches(self.requires_data_bearing, component.data_bearing)
            and _flag_matches(self.requires_pending_failure, component.pending_failure)
            and _flag_matches(self.requires_serial_quarantined, component.serial_quarantined)
        ):
            return False
        return _flag_matches(self.requires_asset_rebuilding, asset.rebuilding if asset is not None else None)

    def decide(self, component: ComponentFacts | None, asset: AssetFacts | None) -> Decision:
        values = _template_values(component, asset)
        return Decision.block(
            self.code, self.reason_template.format_map(values), self.safe_alternative.format_map(values)
        )


_RMA = "open an RMA; a replacement ships under the customer's plan"

DEFAULT_RULES: tuple[SafetyRule, ...] = (
    SafetyRule(
        code="SG-REINSERT-FAILED",
        action_kinds=frozenset({ActionKind.RESEAT_COMPONENT, ActionKind.REINSERT_COMPONENT}),
        component_states=frozenset({"failed", "quarantined", "removed"}),
        requires_data_bearing=None,
        requires_pending_failure=None,
        requires_asset_rebuilding=None,
        requires_serial_quarantined=None,
        reason_template="{kind_word} SN {serial} in {slot} is marked {state}; putting it back will not make it healthy",
        safe_alternative=_RMA,
    ),
    SafetyRule(
        code="SG-FORCE-ONLINE-FAILED",
        action_kinds=frozenset({ActionKind.FORCE_ONLINE, ActionKind.CLEAR_FAULT}),
        component_states=frozenset({"failed", "quarantined", "removed"}),
        requires_data_bearing=None,
        requires_pending_failure=None,
        requires_asset_rebuilding=None,
        requires_serial_quarantined=None,
        reason_template="{kind_word} SN {serial} in {slot} is marked {state}; bringing it back into service "
        "(online, marked good, fault cleared, re-added or rebuilt onto) hides the failure",
        safe_alternative=_RMA + "; leave the {kind_word} offline until it is swapped",
    ),
    SafetyRule(
        code="SG-POWER-CYCLE-REBUILD",
        action_kinds=frozenset({ActionKind.POWER_CYCLE}),
        component_states=frozenset(),
        requires_data_bearing=None,
        requires_pending_failure=None,
        requires_asset_rebuilding=True,
        requires_serial_quarantined=None,
        reason_template="asset SN {asset_serial} has a rebuild in progress; a power cycle now can corrupt the array",
        safe_alternative="wait until the rebuild completes; collect logs meanwhile",
    ),
    SafetyRule(
        code="SG-DOWNGRADE-PENDING-FAILURE",
        action_kinds=frozenset({ActionKind.DOWNGRADE_FIRMWARE}),
        component_states=frozenset(),
        requires_data_bearing=True,
        requires_pending_failure=True,
        requires_asset_rebuilding=None,
        requires_serial_quarantined=None,
        reason_template="{kind_word} SN {serial} in {slot} holds data and has a pending failure; "
        "a firmware downgrade can lose that data",
        safe_alternative="open an RMA to replace the {kind_word} before any firmware change; collect logs meanwhile",
    ),
    SafetyRule(
        code="SG-INSTALL-QUARANTINED",
        action_kinds=frozenset({ActionKind.INSTALL_COMPONENT}),
        component_states=frozenset(),
        requires_data_bearing=None,
        requires_pending_failure=None,
        requires_asset_rebuilding=None,
        requires_serial_quarantined=True,
        reason_template="{kind_word} SN {serial} is on the quarantine list and must not be installed in {slot}",
        safe_alternative="install only the replacement shipped under the RMA; return the quarantined part",
    ),
    SafetyRule(
        code="SG-INSTALL-FAILED",
        action_kinds=frozenset({ActionKind.INSTALL_COMPONENT}),
        component_states=frozenset({"failed", "quarantined", "removed"}),
        requires_data_bearing=None,
        requires_pending_failure=None,
        requires_asset_rebuilding=None,
        requires_serial_quarantined=None,
        reason_template="{kind_word} SN {serial} is marked {state} and must not be installed in {slot}",
        safe_alternative=_RMA,
    ),
)


def evaluate(
    action: ActionKind | str,
    component: ComponentFacts | None,
    asset: AssetFacts | None,
    rules: Iterable[SafetyRule] = DEFAULT_RULES,
) -> Decision:
    """The decision of the first rule that matches, or ``Decision.allow()``."""
    action = ActionKind(action)
    for rule in rules:
        if rule.matches(action, component, asset):
            return rule.decide(component, asset)
    return Decision.allow()


# ---- rules as data ---------------------------------------------------------

_FLAG_KEYS = (
    "requires_data_bearing",
    "requires_pending_failure",
    "requires_asset_rebuilding",
    "requires_serial_quarantined",
)
_REQUIRED_KEYS = ("code", "action_kinds", "reason_template", "safe_alternative")
_KNOWN_KEYS = frozenset(_REQUIRED_KEYS + _FLAG_KEYS + ("component_states",))


def rules_to_dicts(rules: Iterable[SafetyRule]) -> list[dict]:
    """JSON-ready dicts (sorted lists, plain strings and booleans)."""
    return [
        {
            "code": rule.code,
            "action_kinds": sorted(action.value for action in rule.action_kinds),
            "component_states": sorted(rule.component_states),
            **{key: getattr(rule, key) for key in _FLAG_KEYS},
            "reason_template": rule.reason_template,
            "safe_alternative": rule.safe_alternative,
        }
        for rule in rules
    ]


def rules_from_dicts(data: Iterable[Mapping]) -> tuple[SafetyRule, ...]:
    """Inverse of ``rules_to_dicts``; raises ValueError on anything malformed."""
    rules: list[SafetyRule] = []
    for item in data:
        if unknown := set(item) - _KNOWN_KEYS:
            raise ValueError(f"unknown rule keys {sorted(unknown)}")
        if missing := [key for key in _REQUIRED_KEYS if key not in item]:
            raise ValueError(f"rule is missing {missing}")
        flags = {key: item.get(key) for key in _FLAG_KEYS}
        if bad := [key for key, value in flags.items() if value is not None and not isinstance(value, bool)]:
            raise ValueError(f"{item['code']}: {bad} must be true, false or null")
        if isinstance(item["action_kinds"], str) or isinstance(item.get("component_states", ()), str):
            raise ValueError(f"{item['code']}: action_kinds and component_states must be lists")
        rules.append(
            SafetyRule(
                code=item["code"],
                action_kinds=frozenset(ActionKind(value) for value in item["action_kinds"]),
                component_states=frozenset(item.get("component_states", ())),
                reason_template=item["reason_template"],
                safe_alternative=item["safe_alternative"],
                **flags,
            )
        )
    codes = [rule.code for rule in rules]
    if len(codes) != len(set(codes)):
        raise ValueError("duplicate rule codes")
    return tuple(rules)
