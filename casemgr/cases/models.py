from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from casemgr.assets.models import Asset, Component
from casemgr.auth.models import User
from casemgr.cases.rules import STATUSES
from casemgr.contracts.models import Contract, JSONType
from casemgr.db import Base
from casemgr.organizations.models import Organization

_STATUS_VALUES = ", ".join(f"'{s}'" for s in STATUSES)


class Counter(Base):
    """Named gap-free sequences for human numbers (CS-000123, RMA-000123)."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "support_case"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status"),
        CheckConstraint("severity BETWEEN 1 AND 4", name="severity"),
        Index("ix_support_case_queue", "status", "severity", "created_at"),
        Index("ix_support_case_org_status", "organization_id", "status"),
        #: The queue's default order (most urgent first): closed cases have no deadline.
        Index("ix_support_case_next_due", "next_due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    #: None only for triage cases from channels that could not name an asset.
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("component.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    #: False when no active contract covered the asset at opening: accepted all the same.
    entitled: Mapped[bool] = mapped_column(default=False)
    severity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="new")
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), default="portal")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Functional tier: L1, L2, L3.
    queue: Mapped[str] = mapped_column(String(16), default="L1")
    #: Hierarchical level: 0 none, 1 duty manager, 2 support manager, 3 director.
    escalation_level: Mapped[int] = mapped_column(default=0)
    close_reason: Mapped[str | None] = mapped_column(String(32))
    #: SLA clocks, computed by the escalation package from plan, severity and timeline.
    first_response_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    next_update_due_at: Mapped[datetime | None]
    #: The vendor's latest public reply: it restarts the next-update clock.
    last_vendor_update_at: Mapped[datetime | None]
    next_update_breaches: Mapped[int] = mapped_column(default=0)
    resolution_due_at: Mapped[datetime | None]
    resolution_breached: Mapped[bool] = mapped_column(default=False)
    #: Set while the case waits on the customer: every clock is paused.
    sla_paused_at: Mapped[datetime | None]
    #: The earliest running SLA deadline and its clock (casemgr.queue.rules.next_deadline),
    #: kept current on every flush (casemgr.queue.deadlines): the queue sorts by it in SQL.
    next_due_at: Mapped[datetime | None]
    next_due_kind: Mapped[str | None] = mapped_column(String(16))
    #: From then on the next deadline is at risk (casemgr.queue.rules).
    at_risk_at: Mapped[datetime | None]
    #: The customer's latest request for escalation (set by the escalation area).
    customer_escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: Optimistic lock: every update must name the version it read.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    organization: Mapped[Organization] = relationship()
    asset: Mapped[Asset | None] = relationship()
    component: Mapped[Component | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])

    @property
    def is_open(self) -> bool:
        return self.status not in ("resolved", "closed")


class Commitment(Base):
    """A promise made to the customer ("call back by 15:00"): owned, addressed, due."""

    __tablename__ = "commitment"
    __table_args__ = (CheckConstraint("status IN ('open', 'kept', 'missed', 'withdrawn')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    #: To whom it was promised, as said to them ("Ana Alvarez, by phone").
    recipient: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")
    kept_at: Mapped[datetime | None]
    #: When the customer was told it was missed (once). The status stays open: the
    #: escalation ladder's commitment_missed steps read open commitments past due.
    missed_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    def is_overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due_at < now


class CaseWatcher(Base):
    """Someone who follows a case besides its opener and owner: a user of the case's
    organisation, or vendor staff (casemgr.cases.watchers says who may add whom)."""

    __tablename__ = "case_watcher"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: None when added by automation (the Cc: of an inbound e-mail).
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CaseEvent(Base):
    """One entry of a case's append-only timeline (never updated or deleted)."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"))
    #: A copy of the case's organisation, set on insert (``_copy_the_case_organisation``), for the
    #: search indexes (migration 0026): the case's own column stays the authority for scoping.
    organization_id: Mapped[int | None]
    #: comment, status_changed, severity_changed, owner_changed, opened, not_entitled, handoff...
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Shown to the customer. Internal notes and vendor bookkeeping are not.
    public: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]

    #: No back-reference: a case never loads its whole timeline by accident.
    case: Mapped[Case] = relationship()
    actor: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="event", order_by="Attachment.id")


class Attachment(Base):
    """A file uploaded to a case, stored outside the web root by checksum."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))
    #: Sanitised; never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]

    event: Mapped[CaseEvent | None] = relationship(back_populates="attachments")


class AppendOnlyError(RuntimeError):
    pass


def timeline_is_append_only(session: Session, _context: Any, _instances: Any) -> None:
    """History is evidence: a timeline entry is never rewritten or removed (a ``before_flush``
    listener on every session of the app: casemgr.app)."""
    for obj in session.deleted:
        if isinstance(obj, CaseEvent):
            raise AppendOnlyError("The case timeline is append-only: events cannot be deleted.")
    for obj in session.dirty:
        if isinstance(obj, CaseEvent) and session.is_modified(obj, include_collections=False):
            raise AppendOnlyError("The case timeline is append-only: events cannot be edited.")


@event.listens_for(CaseEvent, "before_insert")
def _copy_the_case_organisation(_mapper: Any, _connection: Any, target: CaseEvent) -> None:
    """Every new timeline entry carries its case's organisation: from the loaded case, else
    read by the INSERT itself (a SQL expression in the flush), whichever code built the entry."""
    if target.organization_id is not None:
        return
    case = inspect(target).attrs.case.loaded_value
    if isinstance(case, Case):
        target.organization_id = case.organization_id
    else:
        target.organization_id = select(Case.organization_id).where(Case.id == target.case_id).scalar_subquery()
