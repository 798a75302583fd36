"""Macro text: its placeholders and how they are filled (pure: no Flask, no session)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from casemgr.cases.rules import CaseRuleError

#: The placeholders a macro may use, and what each is filled with.
PLACEHOLDERS = {
    "customer_name": "the name of the customer contact who opened the case (else the organisation's)",
    "organization": "the customer's organisation",
    "case_number": "the case number, e.g. CS-000123",
    "asset_serial": "the serial number of the case's asset",
    "owner_name": "the case owner's name (else the engineer applying the macro)",
}
#: What the guard reads at save time in place of each placeholder.
SAMPLE_VALUES = {
    "customer_name": "Alex Example",
    "organization": "Example Corp",
    "case_number": "CS-000123",
    "asset_serial": "SN-EXAMPLE",
    "owner_name": "Sam Engineer",
}
MAX_NAME = 80
MAX_BODY = 10_000

_FIELD = re.compile(r"\{([^{}]*)\}")


def placeholders_in(body: str) -> list[str]:
    return [m.group(1).strip() for m in _FIELD.finditer(body)]


def check_macro(name: str, body: str) -> tuple[str, str]:
    """The macro's name and body, trimmed; a rule error names any unknown placeholder."""
    name = " ".join((name or "").split())
    body = (body or "").strip()
    if not name:
        raise CaseRuleError("Give the macro a name.")
    if len(name) > MAX_NAME:
        raise CaseRuleError(f"The name is too long (at most {MAX_NAME} characters).")
    if not body:
        raise CaseRuleError("Write the macro's text.")
    if len(body) > MAX_BODY:
        raise CaseRuleError(f"The text is too long (at most {MAX_BODY} characters).")
    unknown = sorted({p for p in placeholders_in(body) if p not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise CaseRuleError(
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''}: "
            + ", ".join("{" + p + "}" for p in unknown)
            + f". Use {known}."
        )
    return name, body


def fill(body: str, values: Mapping[str, str]) -> str:
    """The text with each known placeholder replaced (an unknown one is left as written)."""
    return _FIELD.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), body)
