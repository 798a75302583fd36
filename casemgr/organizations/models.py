from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.db import Base


class Organization(Base):
    """A partner (customer) or the vendor itself (``is_vendor``)."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_vendor: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    #: Active webhook endpoints, kept by casemgr.channels.webhooks: most organisations
    #: have none, and then a case event costs the webhook listener no query.
    webhook_endpoints: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Optimistic lock: an edit names the version it read (casemgr.admin.editing).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    sites: Mapped[list[Site]] = relationship(back_populates="organization", order_by="Site.name")


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    #: IANA zone name; business-hours coverage runs on the site's local time.
    timezone: Mapped[str] = mapped_column(String(64))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    #: Field-service region ("us-east", "eu-central"...): RMAs dispatch to engineers of this region.
    region: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    organization: Mapped[Organization] = relationship(back_populates="sites")


class AccountAssignment(Base):
    """Which partners an account manager watches."""

    __tablename__ = "account_assignment"
    __table_args__ = (UniqueConstraint("account_manager_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_manager_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
