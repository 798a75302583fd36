"""What every RMA use case shares: who may act, the version check, and recording a
state move on the case timeline with its notifications (the one place the state changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, Role
from casemgr.cases import timeline
from casemgr.cases.models import Case
from casemgr.cases.watchers import customer_contacts, tell
from casemgr.errors import ConflictError, ForbiddenError
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
    """The case's customer contacts (casemgr.cases.watchers): opener and watchers, else the admins."""
    return customer_contacts(session, case)


#: Carriers' public tracking pages; the tracking number goes in quoted (never raw user text in a URL).
TRACKING_PAGES = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "tnt": "https://www.tnt.com/express/en_us/site/shipping-tools/tracking.html?cons={}",
}


def tracking_url(carrier: str, tracking: str) -> str | None:
    """The carrier's tracking page for ``tracking``, or None for a carrier we do not know."""
    page = TRACKING_PAGES.get("".join(ch for ch in carrier.lower() if ch.isalnum()))
    number = tracking.strip()
    return page.format(quote(number, safe="")) if page and number else None


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
    tell(
        session,
        case,
        actor,
        kind="rma",
        what=f"{rma.number} {STATE_WORDS[target]}",
        body=f"{who} recorded on {case.number}: {body}",
        now=now,
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
