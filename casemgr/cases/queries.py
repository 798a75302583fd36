"""Read models for case pages: the scoped queue and a case's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.cases.rules import OPEN_STATUSES, STATUSES, severity_body, status_body

SORTS = {
    #: Most urgent first: the next SLA deadline ascending (breached ones are the earliest),
    #: cases with no running clock last. Served by ix_support_case_next_due.
    "due": (Case.next_due_at.asc().nulls_last(), Case.id.asc()),
    "severity": (Case.severity.asc(), Case.created_at.asc(), Case.id.asc()),
    "oldest": (Case.created_at.asc(), Case.id.asc()),
    "newest": (Case.created_at.desc(), Case.id.desc()),
    "updated": (Case.updated_at.desc(), Case.id.desc()),
}
#: Sorts and filters only vendor staff get (customers' lists never show the clocks' state).
VENDOR_SORTS = frozenset({"due"})
#: The flags of the queue, as query-string keys.
FLAGS = ("breached", "at_risk", "escalated", "not_entitled")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # "open", "all", or one status
    severity: int | None = None
    organization_id: int | None = None
    mine: bool = False
    sort: str = "due"
    page: int = 1
    #: The next deadline has passed.
    breached: bool = False
    #: The next deadline is at risk (casemgr.queue.rules) and not yet passed.
    at_risk: bool = False
    #: The customer requested escalation.
    escalated: bool = False
    not_entitled: bool = False

    @classmethod
    def from_args(cls, args, *, vendor: bool = True) -> QueueFilter:
        """The filter from a query string; vendor-only sorts and flags are ignored for others."""
        status = args.get("status", "open")
        if status not in STATUSES and status not in ("open", "all"):
            status = "open"
        severity = args.get("severity", type=int)
        default_sort = "due" if vendor else "severity"
        sort = args.get("sort", default_sort)
        if sort not in SORTS or (sort in VENDOR_SORTS and not vendor):
            sort = default_sort
        flags = {flag: vendor and args.get(flag) == "1" for flag in FLAGS}
        return cls(
            status=status,
            severity=severity if severity in (1, 2, 3, 4) else None,
            organization_id=args.get("org", type=int),
            mine=args.get("mine") == "1",
            sort=sort,
            page=max(args.get("page", 1, type=int), 1),
            **flags,
        )

    def to_args(self) -> dict[str, str]:
        """The query string of this filter (without the page, the status and sort left out when
        they are the vendor's defaults, "open" and "due"): what links and saved views carry."""
        args: dict[str, str] = {}
        if self.status != "open":
            args["status"] = self.status
        if self.sort != "due":
            args["sort"] = self.sort
        if self.severity:
            args["severity"] = str(self.severity)
        if self.organization_id:
            args["org"] = str(self.organization_id)
        if self.mine:
            args["mine"] = "1"
        args.update({flag: "1" for flag in FLAGS if getattr(self, flag)})
        return args


@dataclass(frozen=True)
class QueuePage:
    cases: list[Case]
    #: Matching cases counted, up to the count's bound (``COUNT_BOUND``).
    total: int
    page: int
    page_size: int
    #: More cases match than ``total`` says: the count stopped at its bound.
    more: bool = False

    @property
    def pages(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.more


#: The queue counts its matching cases up to this many (or to the end of the page asked
#: for): past it the page says "10,000+", and a page costs the same at any queue length.
COUNT_BOUND = 10_000


def queue_conditions(actor: User, flt: QueueFilter, now: datetime | None = None) -> list:
    """The scoped WHERE clause of a case list: shared by the page, the API and the CSV export.
    ``now`` is needed by the breached and at-risk flags."""
    conditions = [policy.case_filter(actor)]
    if flt.status == "open":
        conditions.append(Case.status.in_(sorted(OPEN_STATUSES)))
    elif flt.status != "all":
        conditions.append(Case.status == flt.status)
    if flt.severity:
        conditions.append(Case.severity == flt.severity)
    if flt.organization_id:
        conditions.append(Case.organization_id == flt.organization_id)
    if flt.mine:
        conditions.append(Case.owner_id == actor.id)
    if (flt.breached or flt.at_risk) and now is None:
        raise ValueError("the breached and at-risk filters need the current time")
    if flt.breached:
        conditions.append(Case.next_due_at <= now)
    if flt.at_risk:
        conditions += [Case.next_due_at > now, Case.at_risk_at <= now]
    if flt.escalated:
        conditions.append(Case.customer_escalated_at.is_not(None))
    if flt.not_entitled:
        conditions.append(Case.entitled.is_(False))
    return conditions


def case_queue(session: Session, actor: User, flt: QueueFilter, page_size: int, now: datetime) -> QueuePage:
    """One page of the queue: a count (bounded) and a page of cases with their organisation,
    asset and owner (three more statements), whatever the number of cases."""
    conditions = queue_conditions(actor, flt, now)
    bound = max(COUNT_BOUND, flt.page * page_size)
    counted = select(Case.id).where(*conditions).limit(bound + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    stmt = (
        select(Case)
        .where(*conditions)
        .options(selectinload(Case.organization), selectinload(Case.asset), selectinload(Case.owner))
        .order_by(*SORTS[flt.sort])
        .limit(page_size)
        .offset((flt.page - 1) * page_size)
    )
    return QueuePage(list(session.scalars(stmt)), min(total, bound), flt.page, page_size, more=total > bound)


def timeline(session: Session, actor: User, case: Case) -> list[CaseEvent]:
    """The case's events in order; customers never receive internal entries."""
    stmt = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id)
        .options(selectinload(CaseEvent.actor), selectinload(CaseEvent.attachments))
        .order_by(CaseEvent.id)
    )
    if not policy.can_see_internal(actor):
        stmt = stmt.where(CaseEvent.public.is_(True))
    return list(session.scalars(stmt))


def get_attachment_for(session: Session, actor: User, case: Case, attachment_id: int) -> Attachment | None:
    stmt = select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    attachment = session.scalar(stmt)
    if attachment is None:
        return None
    if attachment.event is not None and not attachment.event.public and not policy.can_see_internal(actor):
        return None
    return attachment


def readable_body(event: CaseEvent) -> str:
    """The entry's text; status and severity changes recorded before their bodies were
    written out (empty) read from their from/to."""
    if event.body:
        return event.body
    data = event.data or {}
    if event.kind == "status_changed" and data.get("from") in STATUSES and data.get("to") in STATUSES:
        return status_body(data["from"], data["to"])
    if event.kind == "severity_changed" and isinstance(data.get("from"), int) and isinstance(data.get("to"), int):
        return severity_body(data["from"], data["to"])
    return ""


def visible_attachments(session: Session, actor: User, case: Case) -> list[Attachment]:
    """The case's files the actor may see (those of internal notes only for vendor staff), oldest first."""
    stmt = select(Attachment).outerjoin(CaseEvent, CaseEvent.id == Attachment.event_id)
    stmt = stmt.where(Attachment.case_id == case.id).order_by(Attachment.id)
    if not policy.can_see_internal(actor):
        stmt = stmt.where((Attachment.event_id.is_(None)) | (CaseEvent.public.is_(True)))
    return list(session.scalars(stmt))
