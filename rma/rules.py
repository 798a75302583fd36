"""Pure RMA rules: which kinds a contract offers, what happens to the defective part,
whether a returned serial is the one we expect. No Flask, no session, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from casemgr.assets.serials import serial_key
from casemgr.errors import RuleError
from rma.states import RmaKind

KIND_LABELS = {
    RmaKind.ADVANCE_REPLACEMENT: "Advance replacement (ship now, defective part returns later)",
    RmaKind.ONSITE_DISPATCH: "On-site dispatch (a field engineer installs)",
    RmaKind.RETURN_AND_REPLACE: "Return and replace (ships once the defective part arrives)",
}
DISPOSITION_LABELS = {
    "return": "Return to us for failure analysis",
    "retained": "Kept by the customer (keep-your-drive)",
    "certified_destruction": "Returned to us and destroyed, with a destruction certificate",
}
FAILURE_CODES = {
    "MEDIA": "Media errors / bad sectors",
    "SMART": "SMART threshold exceeded",
    "ELEC": "Electrical failure",
    "FW": "Firmware fault",
    "MECH": "Mechanical failure",
    "OTHER": "Other (see notes)",
}


class RmaRuleError(RuleError):
    """A user-facing refusal (bad kind, bad disposition...): 422 ``rule_violation``."""


@dataclass(frozen=True)
class Entitlement:
    """What the covering contract's plan says; ``covered`` False = no active contract."""

    covered: bool
    onsite: bool = False
    advance_replacement: bool = False
    keep_your_drive: bool = False


def allowed_kinds(ent: Entitlement) -> list[RmaKind]:
    """On-site and advance replacement only where the plan includes them; otherwise return-and-replace."""
    kinds = []
    if ent.covered and ent.onsite:
        kinds.append(RmaKind.ONSITE_DISPATCH)
    if ent.covered and ent.advance_replacement:
        kinds.append(RmaKind.ADVANCE_REPLACEMENT)
    return kinds or [RmaKind.RETURN_AND_REPLACE]


def check_kind(ent: Entitlement, kind: str) -> RmaKind:
    try:
        chosen = RmaKind(kind)
    except ValueError:
        raise RmaRuleError(f"Unknown RMA kind {kind!r}.") from None
    allowed = allowed_kinds(ent)
    if chosen not in allowed:
        raise RmaRuleError(
            f"The contract does not include {chosen.value}; offered: {', '.join(k.value for k in allowed)}."
        )
    return chosen


def disposition_options(ent: Entitlement, data_bearing: bool, kind: RmaKind | str) -> list[str]:
    """Keep-your-drive keeps a data-bearing part on site; without it the customer chooses
    between return and certified destruction. Non-data parts simply come back.

    ``return_and_replace`` waits for the part, so it cannot keep it (see rma.states)."""
    if not data_bearing:
        return ["return"]
    if ent.covered and ent.keep_your_drive and RmaKind(kind) is not RmaKind.RETURN_AND_REPLACE:
        return ["retained"]
    return ["return", "certified_destruction"]


def check_disposition(ent: Entitlement, data_bearing: bool, kind: RmaKind | str, disposition: str | None) -> str:
    options = disposition_options(ent, data_bearing, kind)
    if not disposition:
        return options[0]
    if disposition not in options:
        raise RmaRuleError(f"Disposition {disposition!r} is not offered here; choose {' or '.join(options)}.")
    return disposition


def normalise_serial(serial: str) -> str:
    return serial.strip().upper()


def serial_matches(expected: str, returned: str) -> bool:
    """The returned part must be the one that failed; case, spaces and separators do not matter
    ("drv-0000-0607" is DRV00000607: ``casemgr.assets.serials.serial_key``)."""
    return serial_key(expected) == serial_key(returned)


def return_due(installed_at: datetime, days: int) -> datetime:
    return installed_at + timedelta(days=days)
