from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from casemgr.assets.serials import serial_key
from casemgr.db import Base
from casemgr.organizations.models import Organization, Site

if TYPE_CHECKING:
    from sqlalchemy.engine.default import DefaultExecutionContext

COMPONENT_STATES = ("active", "suspect", "failed", "quarantined", "removed")
#: States in which a component must never be put back into service.
UNSAFE_COMPONENT_STATES = frozenset({"failed", "quarantined", "removed"})

product_part = Table(
    "product_part",
    Base.metadata,
    Column("product_id", ForeignKey("product.id"), primary_key=True),
    Column("part_id", ForeignKey("part.id"), primary_key=True),
)


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(100), unique=True)
    product_line: Mapped[str] = mapped_column(String(100))
    end_of_support_on: Mapped[date | None]
    #: Optimistic lock: an edit names the version it read (casemgr.admin.editing).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    compatible_parts: Mapped[list[Part]] = relationship(secondary=product_part, order_by="Part.part_number")


class Part(Base):
    """A field-replaceable unit from the catalogue."""

    __tablename__ = "part"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_number: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(200))
    #: drive, ssd, nvram, psu, controller, fan...: used in the wording of safety reasons.
    kind: Mapped[str] = mapped_column(String(32))
    #: Holds customer data (drives, SSDs, NVRAM): keep-your-drive applies.
    data_bearing: Mapped[bool] = mapped_column(default=False)
    customer_replaceable: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class Asset(Base):
    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    created_at: Mapped[datetime]
    #: Health the array reports: a rebuild in progress or lost redundancy (the safety guard reads these).
    rebuilding: Mapped[bool] = mapped_column(default=False)
    degraded: Mapped[bool] = mapped_column(default=False)

    product: Mapped[Product] = relationship()
    organization: Mapped[Organization] = relationship()
    site: Mapped[Site] = relationship()
    components: Mapped[list[Component]] = relationship(
        back_populates="asset", order_by="Component.id", cascade="all, delete-orphan"
    )

    @property
    def installed_components(self) -> list[Component]:
        return [c for c in self.components if c.state != "removed"]


_STATE_VALUES = ", ".join(f"'{s}'" for s in COMPONENT_STATES)


def _key_of_serial(context: DefaultExecutionContext) -> str:
    """The insert's serial_key, for rows inserted without the ORM (``insert(Component)``)."""
    return serial_key(context.get_current_parameters()["serial"])


class Component(Base):
    """A part installed in an asset slot, with its own serial."""

    __tablename__ = "component"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATE_VALUES})", name="state"),
        # One installed component per slot; removed ones stay for history.
        Index(
            "uq_component_slot_installed",
            "asset_id",
            "slot",
            unique=True,
            sqlite_where=text("state != 'removed'"),
            postgresql_where=text("state != 'removed'"),
        ),
        # A serial is in one asset at a time: two concurrent installs or registrations of the
        # same part cannot both win (the services check first and say where it is).
        Index(
            "uq_component_serial_installed",
            "serial_key",
            unique=True,
            sqlite_where=text("state != 'removed'"),
            postgresql_where=text("state != 'removed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    #: Where it sits, as the customer reads it on the chassis: "bay 4", "PSU 1".
    slot: Mapped[str] = mapped_column(String(32))
    serial: Mapped[str] = mapped_column(String(64), index=True)
    #: What serials are compared by ("SSD-0000-0204" is SSD00000204); set from ``serial``.
    serial_key: Mapped[str] = mapped_column(String(64), index=True, default=_key_of_serial, server_default="")
    state: Mapped[str] = mapped_column(String(16), default="active")
    installed_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")

    asset: Mapped[Asset] = relationship(back_populates="components")
    part: Mapped[Part] = relationship()

    @property
    def is_unsafe(self) -> bool:
        return self.state in UNSAFE_COMPONENT_STATES

    @validates("serial")
    def _keyed(self, _name: str, serial: str) -> str:
        self.serial_key = serial_key(serial)
        return serial


class QuarantinedSerial(Base):
    """A serial that failed once and may never be installed again, anywhere."""

    __tablename__ = "quarantined_serial"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: What serials are compared by (see ``Component.serial_key``).
    serial_key: Mapped[str] = mapped_column(String(64), index=True, default=_key_of_serial, server_default="")
    reason: Mapped[str] = mapped_column(String(200))
    #: The component record it came out of, for the history.
    component_id: Mapped[int | None] = mapped_column(ForeignKey("component.id"))
    quarantined_at: Mapped[datetime]

    @validates("serial")
    def _keyed(self, _name: str, serial: str) -> str:
        self.serial_key = serial_key(serial)
        return serial


IMPORT_JOB_STATES = ("queued", "running", "done", "refused", "failed")


class AssetImportJob(Base):
    """One uploaded asset CSV being imported on a background thread; the page polls it.

    ``processed_rows`` counts the rows checked so far (the progress bar). The import
    itself stays all or nothing: ``done`` wrote every row, ``refused`` wrote none
    (``errors`` names each bad line), ``failed`` hit an unexpected error (``message``).
    """

    __tablename__ = "asset_import_job"
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'done', 'refused', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    #: Data rows in the file (lines after the header).
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    #: When the job's thread last showed it was alive (started, or wrote its progress): a
    #: queued or running job silent for long was cut off by a server stop.
    heartbeat_at: Mapped[datetime | None]
    imported: Mapped[int] = mapped_column(default=0)
    components: Mapped[int] = mapped_column(default=0)
    #: [{"line": 3, "message": "unknown product model 'X'"}, ...]
    errors: Mapped[list[dict]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    #: The uploaded file, kept until the job ends (then emptied).
    content: Mapped[str] = mapped_column(Text, default="")
