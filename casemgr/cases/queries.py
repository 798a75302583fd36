"""Read models for case pages: the scoped queue and a case's timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.cases.rules import OPEN_STATUSES, STATUSES, severity_body, status_body

SORTS = {
    "oldest": (Case.created_at.asc(), Case.id.asc()),
    "newest": (Case.created_at.desc(), Case.id.desc()),
    "severity": (Case.severity.asc(), Case.created_at.asc(), Case.id.asc()),
    "updated": (Case.updated_at.desc(), Case.id.desc()),
}


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # "open", "all", or one status
    severity: int | None = None
    organization_id: int | None = None
    mine: bool = False
    sort: str = "severity"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> QueueFilter:
        status = args.get("status", "open")
        if status not in STATUSES and status not in ("open", "all"):
            status = "open"
        severity = args.get("severity", type=int)
        sort = args.get("sort", "severity")
        return cls(
            status=status,
            severity=severity if severity in (1, 2, 3, 4) else None,
            organization_id=args.get("org", type=int),
            mine=args.get("mine") == "1",
            sort=sort if sort in SORTS else "severity",
            page=max(args.get("page", 1, type=int), 1),
        )


@dataclass(frozen=True)
class QueuePage:
    cases: list[Case]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)


def queue_conditions(actor: User, flt: QueueFilter) -> list:
    """The scoped WHERE clause of a case list: shared by the page and its CSV export."""
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
    return conditions


def case_queue(session: Session, actor: User, flt: QueueFilter, page_size: int) -> QueuePage:
    conditions = queue_conditions(actor, flt)
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    stmt = (
        select(Case)
        .where(*conditions)
        .options(selectinload(Case.organization), selectinload(Case.asset), selectinload(Case.owner))
        .order_by(*SORTS[flt.sort])
        .limit(page_size)
        .offset((flt.page - 1) * page_size)
    )
    return QueuePage(list(session.scalars(stmt)), total, flt.page, page_size)


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
