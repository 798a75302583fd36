"""Use cases that write: the customer's rating and a manager's thank-you note."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES
from casemgr.cases import timeline
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.rules import CaseRuleError, check_text
from casemgr.errors import ForbiddenError
from casemgr.notifications.services import notify_of_case
from reports.models import CaseRating
from reports.queries import MANAGER_ROLES


def can_rate(actor: User, case: Case) -> bool:
    return policy.can_reply_as_customer(actor, case) and not case.is_open


def rate_case(session: Session, actor: User, case: Case, *, rating: int, comment: str, now: datetime) -> CaseRating:
    """Once per case: a second attempt (another user, a double click) is refused, never overwrites."""
    if not can_rate(actor, case):
        raise ForbiddenError("Only the customer can rate a resolved case.")
    if rating not in range(1, 6):
        raise CaseRuleError("Choose a rating from 1 to 5.")
    comment = check_text("Comment", comment or "", 2000, required=False)
    if session.scalar(select(CaseRating.id).where(CaseRating.case_id == case.id)) is not None:
        raise CaseRuleError("This case has already been rated. Thank you!")
    row = CaseRating(
        case_id=case.id,
        organization_id=case.organization_id,
        rating=rating,
        comment=comment,
        rated_by_id=actor.id,
        created_at=now,
    )
    session.add(row)
    timeline.append(
        session,
        case,
        actor,
        "rating",
        now,
        public=True,
        body=f"Rated {rating}/5" + (f": {comment}" if comment else ""),
        data={"rating": rating},
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise CaseRuleError("This case has already been rated. Thank you!") from None
    return row


def thank_engineer(
    session: Session, actor: User, case: Case, *, engineer_id: int, note: str, now: datetime
) -> CaseEvent:
    """Good work should be seen: an internal timeline entry plus a message to the engineer."""
    if actor.role not in MANAGER_ROLES:
        raise ForbiddenError("Only support managers send thank-you notes.")
    engineer = session.get(User, engineer_id)
    if engineer is None or engineer.role not in CASE_WORKER_ROLES or engineer.id == actor.id:
        raise CaseRuleError("Choose an engineer who worked on the case.")
    note = check_text("Note", note, 1000)
    event = CaseEvent(
        case_id=case.id,
        kind="thanks",
        actor_id=actor.id,
        public=False,
        created_at=now,
        body=f"Thank you to {engineer.name}: {note}",
        data={"engineer_id": engineer.id},
    )
    session.add(event)
    notify_of_case(
        session,
        engineer,
        case,
        subject=f"[{case.number} S{case.severity}] Thank you from {actor.name}",
        body=f"{actor.name} thanks you for your work on {case.number} ({case.subject}):\n\n{note}",
        now=now,
    )
    session.commit()
    return event


def case_engineers(session: Session, case: Case) -> list[User]:
    """Vendor staff who worked the case (owner and authors of timeline entries)."""
    ids = set(session.scalars(select(CaseEvent.actor_id).where(CaseEvent.case_id == case.id).distinct()))
    if case.owner_id:
        ids.add(case.owner_id)
    ids.discard(None)
    if not ids:
        return []
    stmt = select(User).where(User.id.in_(ids), User.role.in_(sorted(CASE_WORKER_ROLES))).order_by(User.name)
    return list(session.scalars(stmt))
