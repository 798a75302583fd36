"""Bulk actions on the queue: one action on many cases, each through the single action's service.

Each case goes through exactly the service its own page calls (same rules, version
check, timeline entry, notices), in its own transaction: a case the service
refuses (a stale version, a move its status does not allow, a tenancy miss) is
reported by number with the reason, and the others are changed all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases import services
from casemgr.cases.models import Case
from casemgr.errors import DomainError, InvalidInput
from casemgr.queue.tiers import change_tier
from casemgr.versions import out_of_date_message, parse_version

log = logging.getLogger(__name__)

ACTIONS = ("owner", "status", "tier")
#: At most this many cases in one bulk action (a page of the queue is 50 at most).
MAX_CASES = 200


@dataclass(frozen=True)
class Selected:
    """A case chosen on the queue, with the version the user was looking at."""

    number: str
    version: int | None
    #: The row sent a version that is missing or not a whole number: refused as out of date.
    bad_version: bool = False


@dataclass
class BulkResult:
    changed: list[str] = field(default_factory=list)
    #: (case number, reason) of each case refused.
    refused: list[tuple[str, str]] = field(default_factory=list)


def parse_selection(values: list[str]) -> list[Selected]:
    """``CS-000123:4`` (number and version) per selected row; values without a number are
    dropped. A missing or malformed version marks the row ``bad_version``, which
    ``apply_bulk`` refuses for that case (never "no version check")."""
    picked: dict[str, Selected] = {}
    for value in values:
        number, _, raw = value.strip().partition(":")
        if number and len(number) <= 16:
            version = parse_version(raw)
            picked.setdefault(number, Selected(number, version, bad_version=version is None))
    return list(picked.values())


def _service(
    session: Session, actor: User, action: str, value: str, now: datetime
) -> Callable[[Case, int | None], None]:
    if action == "owner":
        if not value.isdigit():
            raise InvalidInput("Choose the new owner.")
        owner_id = int(value)
        return lambda case, version: services.assign_owner(
            session, actor, case, owner_id=owner_id, expected_version=version, now=now
        )
    if action == "status":
        return lambda case, version: services.change_status(
            session, actor, case, new_status=value, expected_version=version, now=now
        )
    if action == "tier":
        return lambda case, version: change_tier(session, actor, case, tier=value, expected_version=version, now=now)
    raise InvalidInput(f"Choose an action: {', '.join(ACTIONS)}.")


def apply_bulk(
    session: Session, actor: User, selection: list[Selected], *, action: str, value: str, now: datetime
) -> BulkResult:
    """Run ``action`` (owner, status or tier, to ``value``) on each selected case."""
    policy.require_case_worker(actor)
    if not selection:
        raise InvalidInput("Select at least one case.")
    if len(selection) > MAX_CASES:
        raise InvalidInput(f"Select at most {MAX_CASES} cases at a time.")
    run = _service(session, actor, action, value.strip(), now)
    result = BulkResult()
    for picked in selection:
        if picked.bad_version:  # the row does not say which version was shown: as if stale
            result.refused.append((picked.number, out_of_date_message("queue")))
            continue
        try:
            case = policy.get_case_for(session, actor, picked.number)
            run(case, picked.version)
        except DomainError as exc:
            session.rollback()  # this case's attempt only: the others committed on their own
            result.refused.append((picked.number, str(exc)))
        else:
            result.changed.append(picked.number)
    log.info(
        "user %s bulk %s=%s: changed %s, refused %s",
        actor.id,
        action,
        value,
        ",".join(result.changed) or "none",
        ",".join(n for n, _ in result.refused) or "none",
    )
    return result
