"""Commitments: promises to the customer are records with an owner and a due time."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases import timeline
from casemgr.cases.models import Case, Commitment
from casemgr.cases.rules import OPEN_STATUSES, CaseRuleError, check_text
from casemgr.cases.watchers import site_time, tell
from casemgr.errors import NotFoundError
from casemgr.registry import registry_of

log = logging.getLogger(__name__)


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
    tell(
        session,
        case,
        actor,
        kind="commitment",
        what=f"Commitment: {description}",
        body=f"{actor.name} recorded a commitment on {case.number}: {description}\n"
        f"Promised to {recipient}; owner {owner.name}; due {site_time(case, due_at)}.",
        now=now,
    )
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
    tell(
        session,
        case,
        actor,
        kind="commitment",
        what=f"Commitment kept{' (late)' if late else ''}: {commitment.description}",
        body=f"{actor.name} kept a commitment on {case.number}{' (late)' if late else ''}: {commitment.description}",
        now=now,
    )
    session.commit()
    return commitment


def announce_missed(session: Session, now: datetime, batch: int = 200) -> int:
    """Tell the customer, once, of each open commitment of an open case that is past due:
    a public entry and a notice. The commitment stays open (the escalation ladder's
    ``commitment_missed`` steps follow it); ``missed_at`` records that it was told, claimed
    with a conditional UPDATE so that two schedulers never both tell it."""
    rows = session.execute(
        select(Commitment, Case)
        .join(Case, Case.id == Commitment.case_id)
        .where(
            Commitment.status == "open",
            Commitment.due_at < now,
            Commitment.missed_at.is_(None),
            Case.status.in_(sorted(OPEN_STATUSES)),
        )
        .order_by(Commitment.due_at, Commitment.id)
        .limit(batch)
    ).all()
    told = 0
    for commitment, case in rows:
        claim = session.execute(
            update(Commitment)
            .where(Commitment.id == commitment.id, Commitment.missed_at.is_(None))
            .values(missed_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(claim, CursorResult)
        if claim.rowcount != 1:
            continue  # another scheduler told it
        due = site_time(case, commitment.due_at)
        timeline.append(
            session,
            case,
            None,
            "commitment_missed",
            now,
            public=True,
            body=f"Missed: {commitment.description} (due {due}). Its owner has been alerted and will contact you.",
            data={"commitment_id": commitment.id, "due_at": commitment.due_at.isoformat()},
            channel="commitment",
        )
        tell(
            session,
            case,
            None,
            kind="commitment",
            what=f"Commitment missed: {commitment.description}",
            body=f"We did not keep a commitment on {case.number} in time: {commitment.description}, due {due}."
            " Its owner has been alerted and will contact you.",
            now=now,
        )
        told += 1
        log.info("commitment %s on %s missed (due %s): customer told", commitment.id, case.number, due)
    session.commit()
    return told


def missed_commitments_tick(app: Flask, now: datetime) -> None:
    """The scheduler's tick job (registered by the app factory)."""
    with registry_of(app).db.write_session_factory() as session:
        announce_missed(session, now)


def commitments_of(session: Session, case: Case) -> list[Commitment]:
    return list(session.scalars(select(Commitment).where(Commitment.case_id == case.id).order_by(Commitment.due_at)))
