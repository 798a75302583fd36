from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.assets.models import Asset
from casemgr.db import Base
from casemgr.organizations.models import Organization

JSONType = JSON().with_variant(JSONB(), "postgresql")

contract_asset = Table(
    "contract_asset",
    Base.metadata,
    Column("contract_id", ForeignKey("contract.id"), primary_key=True),
    Column("asset_id", ForeignKey("asset.id"), primary_key=True, index=True),
)


class BusinessCalendar(Base):
    """Coverage hours: 24x7, or weekly hours with holidays in a time zone."""

    __tablename__ = "business_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    always: Mapped[bool] = mapped_column(default=False)
    #: None: the covered asset's site time zone.
    timezone: Mapped[str | None] = mapped_column(String(64))
    #: {"mon": [["08:00", "17:00"]], ...}; local wall-clock hours.
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: ["2026-12-25", ...] local dates without coverage.
    holidays: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Bumped by every edit: a concurrent edit is a conflict, never a silent overwrite.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    def describe(self) -> str:
        if self.always:
            return "24x7"
        days = [d for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") if self.weekly_hours.get(d)]
        hours = {tuple(map(tuple, self.weekly_hours[d])) for d in days}
        span = f"{days[0].title()}-{days[-1].title()}" if days else "no days"
        window = ", ".join(f"{a}-{b}" for a, b in next(iter(hours))) if len(hours) == 1 else "varying hours"
        zone = self.timezone or "site local time"
        extra = f", {len(self.holidays)} holidays" if self.holidays else ""
        return f"{span} {window} ({zone}){extra}"


class SupportPlan(Base):
    __tablename__ = "support_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendar.id"))
    #: {"1": {"first_response": minutes, "next_update": minutes, "resolution": minutes}, ...}
    targets: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    onsite: Mapped[bool] = mapped_column(default=False)
    advance_replacement: Mapped[bool] = mapped_column(default=False)
    keep_your_drive: Mapped[bool] = mapped_column(default=False)
    #: Plain words for the customer: what the plan covers, and what it does not.
    included: Mapped[str] = mapped_column(Text, default="", server_default="")
    not_included: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Optimistic lock: an edit names the version it read (casemgr.admin.editing).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    calendar: Mapped[BusinessCalendar] = relationship()

    @property
    def entitlements(self) -> list[str]:
        names = [
            ("onsite", "On-site field engineer"),
            ("advance_replacement", "Advance replacement"),
            ("keep_your_drive", "Keep-your-drive"),
        ]
        return [label for attr, label in names if getattr(self, attr)]


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    organization: Mapped[Organization] = relationship()
    plan: Mapped[SupportPlan] = relationship()
    assets: Mapped[list[Asset]] = relationship(secondary=contract_asset, order_by="Asset.serial")
