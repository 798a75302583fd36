"""The one way onto a case's timeline.

Every entry is appended here. A public entry is text the customer reads: when
vendor staff or automation wrote it, the safety guard reads it first and a
refusal stores nothing of the attempt (:func:`casemgr.safety.services.guard_customer_text`).
An internal note may discuss a failed part, but the guard marks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseEvent
from casemgr.safety import services as safety


def append(
    session: Session,
    case: Case,
    actor: User | None,
    kind: str,
    now: datetime,
    *,
    public: bool,
    body: str = "",
    data: dict[str, Any] | None = None,
    channel: str | None = None,
    flag_internal: bool = False,
) -> CaseEvent:
    """Add one entry; ``flag_internal`` marks an internal note the guard would refuse in public."""
    data = dict(data or {})
    if public:
        safety.guard_customer_text(session, actor, body, channel=channel or kind, now=now, case=case)
    elif (
        flag_internal
        and body
        and not safety.written_by_customer(actor)
        and (findings := safety.scan_case_text(session, case, body))
    ):
        data["safety_flags"] = [
            {"rule": f.decision.rule_code, "reason": f.decision.reason, "excerpt": f.excerpt} for f in findings
        ]
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        public=public,
        body=body,
        data=data,
        created_at=now,
    )
    session.add(event)
    return event


def row(
    case: Case,
    actor: User | None,
    kind: str,
    now: datetime,
    *,
    public: bool,
    body: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An entry as plain values, for a case being opened (its rows go in with one INSERT).

    The caller has already run the guard on any vendor-written public body, before
    the case itself was written (see ``open_case``)."""
    return {
        "case_id": case.id,
        "organization_id": case.organization_id,  # the model's before_insert does not run for these
        "kind": kind,
        "actor_id": actor.id if actor else None,
        "public": public,
        "body": body,
        "data": data or {},
        "created_at": now,
    }
