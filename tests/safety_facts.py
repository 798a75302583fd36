"""The parts the safety tests reason about, built from one default each.

``test_safety_rules.py`` and ``test_safety_text.py`` describe the same chassis (an NVMe
drive in bay 4, a power supply in PSU 1); each test names only what differs."""

from __future__ import annotations

from typing import Any

from casemgr.safety.rules import AssetFacts, ComponentFacts

ASSET = AssetFacts(serial="CHS-0042")


def drive(**changes: Any) -> ComponentFacts:
    """The 3.84TB NVMe SSD in bay 4, active; ``changes`` override any field."""
    facts: dict[str, Any] = {
        "serial": "ZK1234ABC",
        "slot": "bay 4",
        "part_number": "SSD-384-NV",
        "part_description": "3.84TB NVMe SSD",
        "kind_word": "drive",
        "state": "active",
        "data_bearing": True,
    }
    return ComponentFacts(**(facts | changes))


def psu(**changes: Any) -> ComponentFacts:
    """The 1600W power supply in PSU 1, active; ``changes`` override any field."""
    facts: dict[str, Any] = {
        "serial": "PS7781QQ",
        "slot": "PSU 1",
        "part_number": "PSU-1600",
        "part_description": "1600W power supply",
        "kind_word": "psu",
        "state": "active",
        "data_bearing": False,
    }
    return ComponentFacts(**(facts | changes))
