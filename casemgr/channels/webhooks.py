"""Outbound webhooks: case events POSTed to the organisation's endpoints, signed
(HMAC-SHA256 over ``"<timestamp>.<body>"``), retried with backoff, logged per delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.channels.models import WebhookDelivery, WebhookEndpoint
from casemgr.errors import ForbiddenError
from casemgr.notifications.services import MAX_ATTEMPTS, backoff
from casemgr.organizations.models import Organization
from casemgr.registry import registry_of

#: The case events an endpoint can subscribe to.
WebhookEvent = events.CaseOpened | events.CaseStatusChanged | events.CaseSeverityChanged | events.PublicReplyAdded
EVENT_TYPES: dict[type[WebhookEvent], str] = {
    events.CaseOpened: "case.opened",
    events.CaseStatusChanged: "case.status_changed",
    events.CaseSeverityChanged: "case.severity_changed",
    events.PublicReplyAdded: "case.public_reply",
}
SIGNATURE_HEADER = "X-Casemgr-Signature"


def sign(secret: str, timestamp: int, body: str) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``: the timestamp defeats replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def register_endpoint(
    session: Session, actor: User, *, url: str, event_types: list[str], now: datetime
) -> tuple[WebhookEndpoint, str]:
    if actor.role != Role.CUSTOMER_ADMIN:
        raise ForbiddenError("Only the organisation's admin registers webhooks.")
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise CaseRuleError("The webhook URL must be an absolute http(s) URL.")
    unknown = set(event_types) - set(EVENT_TYPES.values()) - {"*"}
    if unknown:
        raise CaseRuleError(f"Unknown event types: {', '.join(sorted(unknown))}.")
    secret = "whsec_" + secrets.token_urlsafe(24)
    endpoint = WebhookEndpoint(
        organization_id=actor.organization_id,
        url=url,
        secret=secret,
        events=",".join(event_types) or "*",
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(endpoint)
    _count_endpoints(session, actor.organization_id, +1)
    session.commit()
    return endpoint, secret


def disable_endpoint(session: Session, actor: User, endpoint_id: int, now: datetime) -> WebhookEndpoint | None:
    """Stop sending to an endpoint; its delivery log stays. None if it is not the caller's."""
    if actor.role != Role.CUSTOMER_ADMIN:
        raise ForbiddenError("Only the organisation's admin manages webhooks.")
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organization_id != actor.organization_id:
        return None
    if endpoint.disabled_at is None:
        endpoint.disabled_at = now
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
            .values(status="failed", last_error="endpoint disabled")
            .execution_options(synchronize_session=False)
        )
        _count_endpoints(session, endpoint.organization_id, -1)
    session.commit()
    return endpoint


def _count_endpoints(session: Session, organization_id: int, delta: int) -> None:
    """Keep Organization.webhook_endpoints in step, in the caller's transaction (an
    atomic increment: two admins registering at once both count)."""
    session.execute(
        update(Organization)
        .where(Organization.id == organization_id)
        .values(webhook_endpoints=Organization.webhook_endpoints + delta)
    )


def endpoints_of(session: Session, actor: User) -> list[WebhookEndpoint]:
    """The organisation's active endpoints."""
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == actor.organization_id, WebhookEndpoint.disabled_at.is_(None))
            .order_by(WebhookEndpoint.id)
        )
    )


def deliveries_of(session: Session, actor: User, endpoint_id: int) -> list[WebhookDelivery] | None:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organization_id != actor.organization_id:
        return None
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(200)
        )
    )


def enqueue(session: Session, event: WebhookEvent) -> None:
    """Listener for the core's case events: one pending delivery per subscribed endpoint."""
    event_type = EVENT_TYPES[type(event)]
    case = session.get(Case, event.case_id)
    if case is None or not case.organization.webhook_endpoints:
        return  # most organisations: no endpoint, and no query (a case opened has its organisation loaded)
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events)
        .where(WebhookEndpoint.organization_id == case.organization_id, WebhookEndpoint.disabled_at.is_(None))
        .order_by(WebhookEndpoint.id)
    ).all()
    body = None
    for endpoint_id, subscribed in endpoints:
        wanted = subscribed.split(",")
        if "*" not in wanted and event_type not in wanted:
            continue
        if body is None:  # the same payload for every endpoint
            body = json.dumps(
                {
                    "type": event_type,
                    "occurred_at": event.at.isoformat(),
                    "case": {
                        "number": case.number,
                        "status": case.status,
                        "severity": case.severity,
                        "subject": case.subject,
                        "asset_serial": case.asset.serial if case.asset else None,
                    },
                },
                sort_keys=True,
            )
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_type=event_type,
                body=body,
                status="pending",
                next_attempt_at=event.at,
                created_at=event.at,
            )
        )


def post(url: str, body: str, headers: dict[str, str], timeout: float = 10) -> int:
    request = urllib.request.Request(
        url, data=body.encode(), method="POST", headers={"Content-Type": "application/json", **headers}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (customer-chosen URL)
        return response.status


def deliver_due(session: Session, now: datetime, batch: int = 50, sender=post) -> tuple[int, int]:
    """Send due deliveries; a failure backs off and stays queued, and every attempt is logged."""
    sent = failed = 0
    rows = list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        endpoint = session.get_one(WebhookEndpoint, row.endpoint_id)  # a foreign key: it is there
        row.attempts += 1
        timestamp = int(now.timestamp())
        headers = {
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, row.body),
            "X-Casemgr-Event": row.event_type,
            "X-Casemgr-Delivery": str(row.id),
        }
        try:
            row.last_status_code = sender(endpoint.url, row.body, headers)
            ok = 200 <= row.last_status_code < 300
            row.last_error = None if ok else f"HTTP {row.last_status_code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            ok = False
            row.last_status_code = getattr(exc, "code", None)
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if ok:
            row.status, row.delivered_at = "sent", now
            sent += 1
        else:
            failed += 1
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.next_attempt_at = now + backoff(row.attempts)
    session.commit()
    return sent, failed


def tick_job(app, now: datetime) -> None:
    """Registered on the scheduler's tick by the app factory."""
    with registry_of(app).db.write_session_factory() as session:
        deliver_due(session, now)
