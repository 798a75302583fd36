"""Ladders as data, the exactly-once firing record and the runner's schedule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.db import Base

CONDITIONS = (
    "not_acknowledged",
    "no_update",
    "not_resolved",
    "commitment_missed",
    "customer_request",
    "return_overdue",
)
ACTIONS = ("notify", "move_tier", "raise_level")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class EscalationLadder(Base):
    """The steps for one severity, optionally for one plan (a plan ladder wins over the default)."""

    __tablename__ = "escalation_ladder"
    __table_args__ = (
        UniqueConstraint("plan_id", "severity"),
        CheckConstraint("severity BETWEEN 1 AND 4", name="severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    severity: Mapped[int]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("support_plan.id"))
    #: Bumped by every edit, so that each process knows when its cached ladders are stale.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    steps: Mapped[list[EscalationStep]] = relationship(
        back_populates="ladder", order_by="EscalationStep.position", cascade="all, delete-orphan"
    )


class EscalationStep(Base):
    __tablename__ = "escalation_step"
    __table_args__ = (
        CheckConstraint(_in("condition", CONDITIONS), name="condition"),
        CheckConstraint(_in("action", ACTIONS), name="action"),
        CheckConstraint("(offset_minutes IS NULL) <> (offset_percent IS NULL)", name="one_offset"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ladder_id: Mapped[int] = mapped_column(ForeignKey("escalation_ladder.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    condition: Mapped[str] = mapped_column(String(32))
    #: Offset from the condition's anchor, on the plan's clock: a duration...
    offset_minutes: Mapped[int | None]
    #: ...or a percentage of the matching target (first response, next update, resolution).
    offset_percent: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(16))
    #: notify: "owner", "account_manager", "role:<role>", "user:<email>"; move_tier: "L2"; raise_level: "2".
    target: Mapped[str] = mapped_column(String(100))
    repeat_minutes: Mapped[int | None]
    #: Bumped by every edit (see ``Ladders.current``).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    ladder: Mapped[EscalationLadder] = relationship(back_populates="steps")


class EscalationFiring(Base):
    """One step fired for one case: the unique key is what makes it happen exactly once."""

    __tablename__ = "escalation_firing"
    __table_args__ = (UniqueConstraint("case_id", "step_id", "episode", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"))
    step_id: Mapped[int] = mapped_column(ForeignKey("escalation_step.id"))
    #: What the step is about: "ack", "res", "upd:<anchor>", "cmt:<id>", "req:<event id>".
    episode: Mapped[str] = mapped_column(String(64))
    #: 0 for the first firing, then one more per repeat interval.
    cycle: Mapped[int]
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime]
    #: Fired after the runner was away: how late, in seconds (0 when on time).
    late_seconds: Mapped[int] = mapped_column(default=0)


class EscalationSchedule(Base):
    """When each open case next needs the runner; the only thing the runner scans."""

    __tablename__ = "escalation_schedule"
    __table_args__ = (
        Index(
            "ix_escalation_schedule_due",
            "next_check_at",
            postgresql_where=text("next_check_at IS NOT NULL"),
            sqlite_where=text("next_check_at IS NOT NULL"),
        ),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), primary_key=True)
    next_check_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
