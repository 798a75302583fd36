"""RMA records: the authorisation, its shipments, the field visit and the return's analysis.

The state column holds an ``rma.states.RmaState`` value; only ``rma.services``
moves it, through ``rma.states.transition``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.assets.models import Asset, Component, Part
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.db import Base
from casemgr.organizations.models import Organization
from rma.states import RmaKind, RmaState

DISPOSITIONS = ("return", "retained", "certified_destruction")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(getattr(v, 'value', v))) for v in values)})"


class Rma(Base):
    __tablename__ = "rma"
    __table_args__ = (
        CheckConstraint(_in("kind", RmaKind), name="kind"),
        CheckConstraint(_in("state", RmaState), name="state"),
        CheckConstraint(_in("disposition", DISPOSITIONS), name="disposition"),
        Index("ix_rma_region_state", "region", "state"),
        Index("ix_rma_org_state", "organization_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    #: Copied from the case so that tenant scoping is one indexed column.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    failed_component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    replacement_part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16), default=RmaState.REQUESTED.value)
    #: What happens to the defective part: sent back, kept by the customer, or destroyed with a certificate.
    disposition: Mapped[str] = mapped_column(String(24), default="return")
    #: No active contract covered the asset: a support manager must approve, and it is recorded.
    needs_approval: Mapped[bool] = mapped_column(default=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None]
    approval_note: Mapped[str] = mapped_column(Text, default="")
    #: Field-service region of the asset's site: field engineers of that region see the RMA.
    region: Mapped[str] = mapped_column(String(64), default="")
    field_engineer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    installed_component_id: Mapped[int | None] = mapped_column(ForeignKey("component.id"))
    installed_at: Mapped[datetime | None]
    #: The return leg's clock (advance kinds): after this, the escalation ladder's
    #: ``return_overdue`` step reminds vendor staff (never the customer).
    return_due_at: Mapped[datetime | None]
    retained_at: Mapped[datetime | None]
    problem: Mapped[str] = mapped_column(Text, default="")
    #: The failed component's state before this RMA marked it failed (active, suspect, or
    #: failed already), so a support manager's correction can restore it. NULL on RMAs
    #: opened before it was kept: read as "active".
    component_state_before: Mapped[str | None] = mapped_column(String(16))
    #: Whether opening this RMA put the serial into quarantine (False: it already was).
    #: NULL on older RMAs: the quarantine row's reason tells (see rma.corrections.correct_failed_mark).
    quarantine_added: Mapped[bool | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    case: Mapped[Case] = relationship()
    organization: Mapped[Organization] = relationship()
    asset: Mapped[Asset] = relationship()
    failed_component: Mapped[Component] = relationship(foreign_keys=[failed_component_id])
    installed_component: Mapped[Component | None] = relationship(foreign_keys=[installed_component_id])
    replacement_part: Mapped[Part] = relationship()
    field_engineer: Mapped[User | None] = relationship(foreign_keys=[field_engineer_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="rma", order_by="Shipment.id", cascade="all, delete-orphan"
    )
    dispatches: Mapped[list[Dispatch]] = relationship(
        back_populates="rma", order_by="Dispatch.id", cascade="all, delete-orphan"
    )
    analysis: Mapped[FailureAnalysis | None] = relationship(back_populates="rma", cascade="all, delete-orphan")

    @property
    def data_bearing(self) -> bool:
        return self.failed_component.part.data_bearing

    def shipment(self, direction: str) -> Shipment | None:
        return next((s for s in reversed(self.shipments) if s.direction == direction), None)

    @property
    def current_dispatch(self) -> Dispatch | None:
        return self.dispatches[-1] if self.dispatches else None


class Shipment(Base):
    """One leg: the replacement going out, or the defective part coming back."""

    __tablename__ = "rma_shipment"
    __table_args__ = (CheckConstraint("direction IN ('out', 'return')", name="direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rma_id: Mapped[int] = mapped_column(ForeignKey("rma.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    carrier: Mapped[str] = mapped_column(String(64))
    tracking: Mapped[str] = mapped_column(String(64))
    shipped_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    rma: Mapped[Rma] = relationship(back_populates="shipments")


class Dispatch(Base):
    """A field engineer's visit: window in UTC (shown in site time), arrival and notes."""

    __tablename__ = "rma_dispatch"

    id: Mapped[int] = mapped_column(primary_key=True)
    rma_id: Mapped[int] = mapped_column(ForeignKey("rma.id"), index=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    arrived_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    rma: Mapped[Rma] = relationship(back_populates="dispatches")
    engineer: Mapped[User] = relationship()


class FailureAnalysis(Base):
    """Receiving (serial check) then the lab's verdict; linked to the asset for its history."""

    __tablename__ = "rma_failure_analysis"
    __table_args__ = (CheckConstraint("result IS NULL OR result IN ('confirmed', 'no_fault_found')", name="result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rma_id: Mapped[int] = mapped_column(ForeignKey("rma.id"), unique=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    expected_serial: Mapped[str] = mapped_column(String(64))
    returned_serial: Mapped[str] = mapped_column(String(64))
    serial_matches: Mapped[bool]
    received_at: Mapped[datetime]
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    result: Mapped[str | None] = mapped_column(String(16))
    failure_code: Mapped[str] = mapped_column(String(32), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    analysed_at: Mapped[datetime | None]
    analysed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    rma: Mapped[Rma] = relationship(back_populates="analysis")
    part: Mapped[Part] = relationship()
