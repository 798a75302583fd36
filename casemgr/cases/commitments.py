"""Commitments: promises to the customer are records with an owner and a due time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases import timeline
from casemgr.cases.models import Case, Commitment
from casemgr.cases.rules import CaseRuleError, check_text
from casemgr.errors import NotFoundError


def record_commitment(
    session: Session,
    actor: User,
    case: Case,
    *,
    description: str,
    recipient: str,
    owner_id: int,
    due_at: datetime,
    now: datetime,
) -> Commitment:
    policy.require_case_worker(actor)
    if not case.is_open:
        raise CaseRuleError("Commitments can only be made on an open case.")
    description = check_text("What was promised", description, 500)
    recipient = check_text("To whom", recipient, 200)
    owner = session.get(User, owner_id)
    if owner is None or not policy.can_work_case(owner):
        raise CaseRuleError("The owner must be a support engineer or manager.")
    if due_at <= now:
        raise CaseRuleError("The due time must be in the future.")
    commitment = Commitment(
        case_id=case.id,
        description=description,
        recipient=recipient,
        owner_id=owner.id,
        due_at=due_at,
        status="open",
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(commitment)
    session.flush()
    timeline.append(
        session,
        case,
        actor,
        "commitment",
        now,
        public=True,
        body=f"{description} — promised to {recipient}, owner {owner.name}, due {due_at:%Y-%m-%d %H:%M} UTC",
        data={"commitment_id": commitment.id, "due_at": due_at.isoformat()},
    )
    events.publish(session, events.CommitmentChanged(case.id, commitment.id, now))
    session.commit()
    return commitment


def mark_kept(session: Session, actor: User, case: Case, commitment_id: int, now: datetime) -> Commitment:
    policy.require_case_worker(actor)
    commitment = session.scalar(select(Commitment).where(Commitment.id == commitment_id, Commitment.case_id == case.id))
    if commitment is None:
        raise NotFoundError("No such commitment on this case.")
    if commitment.status not in ("open", "missed"):
        raise CaseRuleError(f"This commitment is already {commitment.status}.")
    late = commitment.due_at < now
    commitment.status, commitment.kept_at = "kept", now
    timeline.append(
        session,
        case,
        actor,
        "commitment_kept",
        now,
        public=True,
        body=f"Kept{' (late)' if late else ''}: {commitment.description}",
        data={"commitment_id": commitment.id, "late": late},
    )
    events.publish(session, events.CommitmentChanged(case.id, commitment.id, now))
    session.commit()
    return commitment


def commitments_of(session: Session, case: Case) -> list[Commitment]:
    return list(session.scalars(select(Commitment).where(Commitment.case_id == case.id).order_by(Commitment.due_at)))
