"""Who did what to which set-up object: a row in the administration audit trail
(:class:`casemgr.audit.AuditEntry`) and a log line, both in the transaction of the change
(the row commits with it, or not at all)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from casemgr import audit
from casemgr.audit import AuditEntry
from casemgr.auth.models import User

log = logging.getLogger(__name__)

CHANNELS = ("web", "api", "cli")


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``"name: 'Acme' -> 'Acme Corp'; region: '' -> 'eu'"`` for the fields that differ."""
    return "; ".join(f"{key}: {before[key]!r} -> {after[key]!r}" for key in after if before.get(key) != after[key])


def record(
    session: Session,
    actor: User,
    action: str,
    obj: Any,
    *,
    summary: str,
    channel: str,
    now: datetime,
) -> AuditEntry:
    """Add the audit row for ``obj`` (flushed, so it has an id) and log the same words."""
    if channel not in CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}.")
    session.flush()  # a new object gets its id
    return audit.record(session, actor, action, object_type(obj), obj.id, summary or "no change", now, channel=channel)


def object_type(obj: Any) -> str:
    return {"SupportPlan": "plan"}.get(type(obj).__name__, obj.__tablename__)


def trail(session: Session, obj: Any) -> list[AuditEntry]:
    """The audit entries of ``obj``, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type(obj), AuditEntry.object_id == obj.id)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(stmt))


def partner_history(session: Session, org: Any, limit: int = 10) -> list[AuditEntry]:
    """The latest ``limit`` changes to a partner and to what it owns (its sites and
    contracts), oldest first: what its page shows as "Recent changes"."""
    from casemgr.contracts.models import Contract
    from casemgr.organizations.models import Site

    owned = or_(
        and_(AuditEntry.object_type == "organization", AuditEntry.object_id == org.id),
        and_(
            AuditEntry.object_type == "site",
            AuditEntry.object_id.in_(select(Site.id).where(Site.organization_id == org.id)),
        ),
        and_(
            AuditEntry.object_type == "contract",
            AuditEntry.object_id.in_(select(Contract.id).where(Contract.organization_id == org.id)),
        ),
    )
    latest = session.scalars(select(AuditEntry).where(owned).order_by(AuditEntry.id.desc()).limit(limit))
    return list(reversed(list(latest)))
