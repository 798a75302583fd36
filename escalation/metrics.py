"""The escalation area's series: firings and scheduler passes (counted by the
processes), and the lag of the runner (read from the database at scrape time)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgr.metrics.series import SERIES
from escalation.models import EscalationSchedule

ESCALATION_FIRINGS = Counter(
    "casemgr_escalation_firings",
    "Escalation steps fired (counted once committed), on time or late (the runner was away when they fell due).",
    ["timing"],
    registry=SERIES,
)
SCHEDULER_PASS_SECONDS = Histogram(
    "casemgr_scheduler_pass_duration_seconds",
    "Time of one scheduler tick: the escalation pass, the tick jobs and e-mail delivery.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, float("inf")),
    registry=SERIES,
)
SCHEDULER_FAILURES = Counter(
    "casemgr_scheduler_failures",
    "Parts of a scheduler tick that raised (logged; retried on the next tick), by part.",
    ["part"],
    registry=SERIES,
)


for _label in ("on_time", "late"):  # shown from 0 on: an alert on either exists from the start
    ESCALATION_FIRINGS.labels(timing=_label)
for _label in ("escalation", "tick_job", "delivery"):
    SCHEDULER_FAILURES.labels(part=_label)


def count_firings(on_time: int, late: int) -> None:
    if on_time:
        ESCALATION_FIRINGS.labels(timing="on_time").inc(on_time)
    if late:
        ESCALATION_FIRINGS.labels(timing="late").inc(late)


def oldest_due_check(session: Session) -> datetime | None:
    """The earliest next check of any open case: the first entry of the partial index
    ``ix_escalation_schedule_due``, whatever the number of cases."""
    return session.scalar(
        select(func.min(EscalationSchedule.next_check_at)).where(EscalationSchedule.next_check_at.is_not(None))
    )


def lag_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    """A metric source (the registry's): how far the runner is behind, 0 when nothing is overdue."""
    oldest = oldest_due_check(session)
    lag = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    gauge = GaugeMetricFamily(
        "casemgr_escalation_lag_seconds",
        "Now minus the oldest escalation check that fell due and has not run yet (0 when the runner is up to date).",
    )
    gauge.add_metric([], lag)
    yield gauge
