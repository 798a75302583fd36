"""Saved queue views (per user) and macros (the vendor's canned replies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base


class SavedView(Base):
    """A user's named queue filters and sort, shown as a tab on the queue."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    name: Mapped[str] = mapped_column(String(60))
    #: The queue's query string, normalised (casemgr.queue.filters.QueueFilter.to_args).
    query: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]


class Macro(Base):
    """A canned reply with placeholders, managed by support managers, applied from the reply form."""

    __tablename__ = "macro"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    #: Text with ``{placeholder}`` fields (casemgr.queue.macro_rules.PLACEHOLDERS).
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: Optimistic lock: an edit names the version it read.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}
