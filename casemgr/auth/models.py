from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from casemgr.auth.roles import TIERS, Role, is_customer, works_cases
from casemgr.db import Base
from casemgr.organizations.models import Organization

_ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)
_TIER_VALUES = ", ".join(f"'{t}'" for t in TIERS)


class User(UserMixin, Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role"),
        CheckConstraint(f"tier IS NULL OR tier IN ({_TIER_VALUES})", name="tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; logins compare case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    #: Field engineers' service region (RMAs are routed by it).
    region: Mapped[str | None] = mapped_column(String(64))
    #: Support engineers: the queue they work (L1-L3); a case moved to L2 pages the L2 engineers.
    tier: Mapped[str | None] = mapped_column(String(2))
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    #: The IANA zone the user chose in Settings; None: the browser's, else their site's (casemgr.timezones).
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    #: Part of every login session's id (:meth:`get_id`): raising it ends all of the user's
    #: sessions on the server (logout, password change, deactivation).
    session_generation: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Optimistic lock: an administrator's change must name the version it read.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    organization: Mapped[Organization] = relationship()

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    def get_id(self) -> str:  # flask-login: what the session cookie holds
        return f"{self.id}:{self.session_generation}"

    @property
    def has_password(self) -> bool:
        """False for an invited user who has not yet set a password."""
        return bool(self.password_hash)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.is_active_flag

    @property
    def is_customer(self) -> bool:
        return is_customer(self.role)

    @property
    def works_cases(self) -> bool:
        return works_cases(self.role)


class ApiToken(Base):
    """A personal access token for the REST API (casemgr.auth.tokens issues and checks them)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, so a user can tell their tokens apart.
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
