"""Reads for the escalation pages: the ladders with their steps, and the plans."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casemgr.contracts.models import SupportPlan
from escalation.models import EscalationLadder


def ladders(session: Session) -> list[EscalationLadder]:
    """Every ladder with its steps (one IN query for the steps), the defaults first."""
    return list(
        session.scalars(
            select(EscalationLadder)
            .options(selectinload(EscalationLadder.steps))
            .order_by(EscalationLadder.plan_id.nulls_first(), EscalationLadder.severity)
        )
    )


def plans(session: Session) -> list[SupportPlan]:
    return list(session.scalars(select(SupportPlan).order_by(SupportPlan.id)))
