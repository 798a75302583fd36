"""Outbound webhooks: case events POSTed to the organisation's endpoints, signed
(HMAC-SHA256 over ``"<timestamp>.<body>"``), retried with backoff, logged per delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casemgr import events
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.channels import outbound
from casemgr.channels.models import WebhookDelivery, WebhookEndpoint
from casemgr.errors import ForbiddenError
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
    session: Session,
    actor: User,
    *,
    url: str,
    event_types: list[str],
    now: datetime,
    allowed_networks: Sequence[outbound.Network] = (),
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the actor's organisation; its URL must be a public destination
    (:func:`casemgr.channels.outbound.check_destination`), checked again at every delivery."""
    if actor.role != Role.CUSTOMER_ADMIN:
        raise ForbiddenError("Only the organisation's admin registers webhooks.")
    url = url.strip()
    outbound.check_destination(url, allowed_networks)
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


def _require_admin(actor: User) -> None:
    """Endpoint URLs and delivery logs are the organisation admin's: other users never see them."""
    if actor.role != Role.CUSTOMER_ADMIN:
        raise ForbiddenError("Only the organisation's admin sees its webhooks.")


def endpoints_of(session: Session, actor: User) -> list[WebhookEndpoint]:
    """The organisation's active endpoints."""
    _require_admin(actor)
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == actor.organization_id, WebhookEndpoint.disabled_at.is_(None))
            .order_by(WebhookEndpoint.id)
        )
    )


def deliveries_of(session: Session, actor: User, endpoint_id: int) -> list[WebhookDelivery] | None:
    _require_admin(actor)
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


#: Attempts before a delivery is given up (about a day and a half of backoff in all).
MAX_ATTEMPTS = 12
#: How long a claimed delivery is left alone: a sender that crashed mid-send frees it then.
LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after each failed attempt, capped at 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    url: str
    secret: str
    event_type: str
    body: str


def deliver_due(
    session: Session,
    now: datetime,
    batch: int = 50,
    *,
    allowed_networks: Sequence[outbound.Network] = (),
    sender: Callable[[outbound.Destination, str, dict[str, str]], int] = outbound.post_json,
) -> tuple[int, int]:
    """Send due deliveries; returns (sent, failed attempts).

    Claim, commit, send, record: the due rows are claimed in one short transaction (a
    lease, so that several senders share the work and a crashed one's rows come back),
    each request is sent outside any transaction (a slow receiver holds no lock), and
    its result is recorded in another. A crash re-sends at most the deliveries in
    flight; receivers dedupe on ``X-Casemgr-Delivery``. Each destination is checked
    again before it is sent to (:mod:`casemgr.channels.outbound`).
    """
    rows = session.execute(
        select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    claimed = []
    for row, url, secret in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        claimed.append(_Claimed(row.id, row.attempts, url, secret, row.event_type, row.body))
    session.commit()
    sent = failed = 0
    for item in claimed:
        status, error = _send(item, now, allowed_networks, sender)
        ok = status is not None and 200 <= status < 300
        row = session.get_one(WebhookDelivery, item.id)
        row.last_status_code, row.last_error = status, None if ok else error or f"HTTP {status}"
        if ok:
            row.status, row.delivered_at = "sent", now
            sent += 1
        else:
            failed += 1
            if item.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.next_attempt_at = now + backoff(item.attempts)
        session.commit()
    return sent, failed


def _send(item: _Claimed, now: datetime, allowed, sender) -> tuple[int | None, str | None]:
    try:
        destination = outbound.check_destination(item.url, allowed)
    except outbound.DestinationRefused as exc:
        return None, f"not sent: {exc}"
    timestamp = int(now.timestamp())
    headers = {
        SIGNATURE_HEADER: sign(item.secret, timestamp, item.body),
        "X-Casemgr-Event": item.event_type,
        "X-Casemgr-Delivery": str(item.id),
    }
    try:
        return sender(destination, item.body, headers), None
    except outbound.DeliveryFailed as exc:
        return None, str(exc)


def tick_job(app, now: datetime) -> None:
    """Registered on the scheduler's tick by the app factory."""
    allowed = outbound.parse_networks(app.config.get("WEBHOOK_ALLOWED_NETWORKS", ""))
    with registry_of(app).db.write_session_factory() as session:
        deliver_due(session, now, allowed_networks=allowed)
