"""The version a change names (optimistic concurrency), read strictly in one place.

Every edit of a versioned object (case, RMA, user, macro, calendar...) carries the
version the user or client read; the service refuses a stale one (409). A version
that is missing or not a whole number must never mean "skip the check": the web
forms, the queue's bulk selection, the API schemas and the If-Match headers all read
it here, and refuse what this module does not accept.

A version is a whole number from 1 to 2**31-1 written in ASCII digits: no sign, no
exponent ("1e3"), no decimals ("5.0"), no spaces, no other scripts' digits ("٣").
"""

from __future__ import annotations

import re

from casemgr.errors import InvalidInput

MAX_VERSION = 2**31 - 1

_DIGITS = re.compile(r"[0-9]{1,10}")
_ETAG = re.compile(r'(?:W/)?"?([0-9]{1,10})"?')


def parse_version(raw: object) -> int | None:
    """``raw`` as a version (a str of ASCII digits, or an int), or None when it is not one."""
    if isinstance(raw, bool):  # True is an int to Python, not a version
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if 1 <= value <= MAX_VERSION else None


def if_match_version(header: str) -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"`` or ``3``), or None."""
    match = _ETAG.fullmatch(header.strip())
    return parse_version(match.group(1)) if match else None


def out_of_date_message(what: str) -> str:
    """What a form without a usable version is told: it cannot say which copy it was made from."""
    return f"This form is out of date; reload the {what} and try again."


def form_version(raw: object, what: str) -> int:
    """The version a posted form carries; a missing or malformed one is refused (422, nothing
    changes) with :func:`out_of_date_message`, as a stale one would be with its 409."""
    version = parse_version(raw)
    if version is None:
        message = out_of_date_message(what)
        raise InvalidInput(message, details={"version": [message]})
    return version
