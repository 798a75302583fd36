"""Moving a case to another support tier by hand (the ladder's ``move_tier`` does it on the clock)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.auth.roles import TIERS
from casemgr.cases import timeline
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.services import check_version
from casemgr.concurrency import detect_conflicts

log = logging.getLogger(__name__)


@detect_conflicts("case")
def change_tier(
    session: Session, actor: User, case: Case, *, tier: str, expected_version: int | None, now: datetime
) -> None:
    """Put the case in the ``tier`` queue (L1, L2, L3): an internal timeline entry says who and when."""
    policy.require_case_worker(actor)
    check_version(case, expected_version)
    if tier not in TIERS:
        raise CaseRuleError(f"Choose a tier: {', '.join(TIERS)}.")
    if not case.is_open:
        raise CaseRuleError("The tier can only change while the case is open.")
    if case.queue == tier:
        raise CaseRuleError(f"The case is already in the {tier} queue.")
    old = case.queue
    case.queue = tier
    case.updated_at = now
    timeline.append(
        session,
        case,
        actor,
        "tier_changed",
        now,
        public=False,
        body=f"Moved from the {old} queue to the {tier} queue.",
        data={"from": old, "to": tier},
    )
    session.commit()
    log.info("user %s moved case %s from tier %s to %s", actor.id, case.number, old, tier)
