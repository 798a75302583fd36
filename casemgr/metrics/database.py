"""Scrape-time gauges of the core: the outbox (e-mail and webhooks) read from the
database when /metrics is asked, so every worker answers the same and nothing is
counted twice.

Each query reads only the pending rows, through the partial index that the senders'
sweep uses (``ix_notification_due``, ``ix_webhook_delivery_due``: ``WHERE status =
'pending'``): the cost follows the backlog, never the sent history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from casemgr.channels.models import WebhookDelivery
from casemgr.notifications.models import Notification


def pending_email() -> Select:
    return select(func.count(), func.min(Notification.created_at)).where(
        Notification.status == "pending", Notification.channel == "email"
    )


def pending_webhooks() -> Select:
    return select(func.count(), func.min(WebhookDelivery.created_at)).where(WebhookDelivery.status == "pending")


def outbox_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    """A metric source (the registry's): depth and oldest age of each outbox channel."""
    depth = GaugeMetricFamily(
        "casemgr_outbox_depth", "Messages waiting to be delivered (pending), by channel.", labels=["channel"]
    )
    age = GaugeMetricFamily(
        "casemgr_outbox_oldest_age_seconds",
        "Age of the oldest message not delivered yet, by channel (0 when none waits).",
        labels=["channel"],
    )
    for channel, query in (("email", pending_email()), ("webhook", pending_webhooks())):
        count, oldest = session.execute(query).one()
        depth.add_metric([channel], count or 0)
        age.add_metric([channel], max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
    yield depth
    yield age
