"""Pure case rules: statuses, who may move a case where, numbers, severities.

No Flask and no session here: services call these with plain values and turn
a :class:`CaseRuleError` (a ``casemgr.errors.RuleError``: 422) into a form error, a 422
JSON error or a CLI message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from casemgr.errors import RuleError

STATUSES = ("new", "in_progress", "waiting_customer", "waiting_vendor", "resolved", "closed")
OPEN_STATUSES = frozenset(STATUSES) - {"resolved", "closed"}

STATUS_LABELS = {
    "new": "New",
    "in_progress": "In progress",
    "waiting_customer": "Waiting on customer",
    "waiting_vendor": "Waiting on vendor",
    "resolved": "Resolved",
    "closed": "Closed",
}

#: What a status means to the customer, in plain words (timeline bodies, notifications).
STATUS_PLAIN = {
    "new": "Received, an engineer will pick it up",
    "in_progress": "We are working on it",
    "waiting_customer": "Waiting for your reply",
    "waiting_vendor": "Waiting on us (parts, a specialist team or a third party)",
    "resolved": "Resolved, please confirm",
    "closed": "Closed",
}

SEVERITY_DEFINITIONS: Mapping[int, tuple[str, str]] = {
    1: ("Critical", "Production down or data at risk."),
    2: ("High", "Production impaired or redundancy lost."),
    3: ("Medium", "Limited impact, non-production."),
    4: ("Low", "Question, how-to, request."),
}

#: What a vendor may set through "change status" (closing has its own path).
_VENDOR_STATUS_MOVES: Mapping[str, frozenset[str]] = {
    "new": frozenset({"in_progress", "waiting_customer", "waiting_vendor", "resolved"}),
    "in_progress": frozenset({"waiting_customer", "waiting_vendor", "resolved"}),
    "waiting_customer": frozenset({"in_progress", "waiting_vendor", "resolved"}),
    "waiting_vendor": frozenset({"in_progress", "waiting_customer", "resolved"}),
    "resolved": frozenset({"in_progress"}),
    "closed": frozenset(),
}

CLOSE_REASONS: Mapping[str, str] = {
    "confirmed": "Customer confirmed the resolution",
    "resolved": "Resolved; customer did not object",
    "duplicate": "Duplicate of another case",
    "customer_request": "Closed at the customer's request",
    "end_of_support": "Product no longer supported (hand-off to the account team)",
}
#: Reasons that need a recorded hand-off before the case may close.
HANDOFF_REASONS = frozenset({"end_of_support"})

MAX_SUBJECT = 200
MAX_BODY = 20_000


class CaseRuleError(RuleError):
    """A request that the rules refuse; the message is shown to the user (422 ``rule_violation``)."""


#: Case numbers: this prefix, then the counter's value zero-padded to at least this many digits.
CASE_NUMBER_PREFIX, CASE_NUMBER_DIGITS = "CS-", 6


def format_case_number(sequence: int) -> str:
    return f"{CASE_NUMBER_PREFIX}{sequence:0{CASE_NUMBER_DIGITS}d}"


def status_moves_for_vendor(current: str) -> list[str]:
    return sorted(_VENDOR_STATUS_MOVES[current], key=STATUSES.index)


def check_vendor_status_move(current: str, new: str) -> None:
    if new not in STATUSES:
        raise CaseRuleError(f"Unknown status {new!r}.")
    if new == current:
        raise CaseRuleError(f"The case is already {STATUS_LABELS[current].lower()}.")
    allowed = status_moves_for_vendor(current)
    if new not in allowed:
        names = ", ".join(STATUS_LABELS[s].lower() for s in allowed) or "none"
        raise CaseRuleError(
            f"A case that is {STATUS_LABELS[current].lower()} cannot become {STATUS_LABELS.get(new, new).lower()}."
            f" Allowed: {names}."
        )


def status_after_customer_reply(current: str) -> str | None:
    """A customer's reply resumes a paused case and reopens a resolved one."""
    if current in ("waiting_customer", "resolved"):
        return "in_progress"
    return None


def needs_handoff(has_asset: bool, entitled: bool, end_of_support_on: date | None, today: date) -> bool:
    """A case about an asset the customer has no cover for -- no active contract, or a
    product past its end of support -- must not be closed by the vendor until someone
    owns the customer's way forward: the account team (a recorded hand-off), or the
    customer, who confirms the resolution. Triage cases (no asset) are not about a product."""
    return has_asset and (not entitled or (end_of_support_on is not None and end_of_support_on <= today))


def check_close(current: str, reason: str, has_handoff: bool, *, handoff_required: bool = False) -> None:
    if current == "closed":
        raise CaseRuleError("The case is already closed.")
    if reason not in CLOSE_REASONS:
        raise CaseRuleError(f"Unknown close reason {reason!r}.")
    if reason in HANDOFF_REASONS and not has_handoff:
        raise CaseRuleError(
            "A case cannot be closed as 'product no longer supported' without a hand-off to the"
            " organisation's account manager with the path offered."
        )
    if handoff_required and not has_handoff:
        raise CaseRuleError(
            "This case is not covered (no active contract, or the product is past its end of support): it can"
            " only close once the customer confirms the resolution, or with a hand-off to the organisation's"
            " account manager (close as 'product no longer supported' with the path offered)."
        )


def check_customer_confirm(current: str) -> None:
    if current != "resolved":
        raise CaseRuleError("Only a resolved case can be confirmed; reply instead to tell us what is still wrong.")


def check_severity(value: int) -> None:
    if value not in SEVERITY_DEFINITIONS:
        raise CaseRuleError("Severity must be 1, 2, 3 or 4.")


def check_text(label: str, value: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise CaseRuleError(f"{label} is required.")
    if len(value) > limit:
        raise CaseRuleError(f"{label} is too long ({len(value)} characters; at most {limit}).")
    return value


def status_body(old: str, new: str, note: str = "") -> str:
    """The readable timeline entry of a status change: the new status in plain words, what
    it was before, and the note to the customer (e.g. the resolution) if any."""
    text = f"{STATUS_PLAIN.get(new, new)} (was: {STATUS_LABELS.get(old, old).lower()})."
    note = (note or "").strip()
    return f"{text}\n{note}" if note else text


def severity_words(severity: int) -> str:
    name = SEVERITY_DEFINITIONS.get(severity, ("",))[0]
    return f"severity {severity} ({name.lower()})" if name else f"severity {severity}"


def severity_body(old: int, new: int, reason: str = "") -> str:
    """The readable timeline entry of a severity change, with its reason if one was given."""
    way = "Raised" if new < old else "Lowered"
    text = f"{way} from {severity_words(old)} to {severity_words(new)}."
    reason = (reason or "").strip()
    return f"{text} Reason: {reason}" if reason else text
