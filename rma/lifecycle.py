"""What every RMA use case shares: who may act, the version check, and recording a
state move on the case timeline with its notifications (the one place the state changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases import timeline
from casemgr.cases.models import Case
from casemgr.errors import ConflictError, ForbiddenError
from casemgr.notifications.services import notify
from rma.models import Rma
from rma.states import RmaState, transition

S = RmaState


def require_worker(actor: User) -> None:
    if actor.role not in CASE_WORKER_ROLES:
        raise ForbiddenError("Only support staff can do that.")


def require_field_or_worker(actor: User, rma: Rma) -> None:
    if actor.role in CASE_WORKER_ROLES:
        return
    if actor.role == Role.FIELD_ENGINEER and rma.field_engineer_id == actor.id:
        return
    raise ForbiddenError("Only the assigned field engineer or support staff can do that.")


def check_version(rma: Rma, expected: int | None) -> None:
    if expected is not None and expected != rma.version:
        raise ConflictError(f"{rma.number} changed since you opened it (now {rma.state}). Reload and try again.")


def case_owner(session: Session, case: Case) -> list[User]:
    """Read by id: the relationship may be stale when the owner changed in this session."""
    owner = session.get(User, case.owner_id) if case.owner_id else None
    return [owner] if owner is not None else []


def customers_to_notify(session: Session, case: Case) -> list[User]:
    """Whoever opened the case if a customer, else the organisation's customer admins."""
    if case.opened_by is not None and case.opened_by.role in CUSTOMER_ROLES:
        return [case.opened_by]
    return list(
        session.scalars(
            select(User).where(User.organization_id == case.organization_id, User.role == Role.CUSTOMER_ADMIN)
        )
    )


STATE_WORDS = {
    S.REQUESTED: "requested",
    S.APPROVED: "approved",
    S.SHIPPED: "replacement shipped",
    S.DELIVERED: "replacement delivered",
    S.DISPATCHED: "field engineer dispatched",
    S.ON_SITE: "engineer on site",
    S.INSTALLED: "replacement installed",
    S.RETURN_PENDING: "defective part return pending",
    S.RETURNED: "defective part received",
    S.ANALYSED: "failure analysis complete",
    S.RETAINED: "defective part retained by the customer",
    S.CLOSED: "closed",
    S.CANCELLED: "cancelled",
}


def record_move(
    session: Session, actor: User | None, rma: Rma, target: RmaState, now: datetime, note: str = ""
) -> None:
    """The only place the state changes: refused moves raise TransitionRefused."""
    before = RmaState(rma.state)
    transition(rma.kind, before, target)
    rma.state, rma.updated_at = target.value, now
    if target in (S.CLOSED, S.CANCELLED):
        rma.closed_at = now
    case = rma.case
    who = actor.name if actor else "Casemgr"
    body = f"{rma.number}: {STATE_WORDS[target]}." + (f" {note}" if note else "")
    timeline.append(
        session,
        case,
        actor,
        "rma",
        now,
        public=True,
        body=body,
        channel=f"rma_{target.value}",
        data={"rma": rma.number, "from": before.value, "to": target.value, "by": who},
    )
    users = case_owner(session, case) + customers_to_notify(session, case)
    notify(
        session,
        users,
        subject=f"{case.number} {rma.number}: {STATE_WORDS[target]}",
        body=body,
        now=now,
        case_id=case.id,
        severity=case.severity,
    )
    # The return clock (return_due_at) is one of the case's deadlines: the escalation
    # ladder's ``return_overdue`` step reminds vendor staff when it passes.
    session.flush()
    events.publish(session, events.CaseDeadlinesChanged(case.id, now))


def record_note(
    session: Session, actor: User, rma: Rma, body: str, now: datetime, *, public: bool = True, **data: Any
) -> None:
    timeline.append(
        session,
        rma.case,
        actor,
        "rma_note",
        now,
        public=public,
        body=f"{rma.number}: {body}",
        data={"rma": rma.number, **data},
        channel="rma_note",
        flag_internal=True,
    )
