"""Customer ratings of resolved cases and the weekly digest's exactly-once log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.db import Base


class CaseRating(Base):
    """The customer's one rating (1-5) and comment for a resolved case."""

    __tablename__ = "case_rating"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_case_rating_org_created", "organization_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique: a case is rated once, whatever the number of customer users or clicks.
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), unique=True)
    #: Copied from the case so that partner scoping is one indexed column.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]

    case: Mapped[Case] = relationship()
    rated_by: Mapped[User | None] = relationship()


class DigestLog(Base):
    """One row per account manager and ISO week: the digest goes out once, even
    with several schedulers ticking (the unique key makes the second insert fail)."""

    __tablename__ = "report_digest_log"
    __table_args__ = (UniqueConstraint("manager_id", "iso_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: e.g. "2026-W45"
    iso_week: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime]
