"""The tick: APScheduler only says "now"; the runner and the outbox do the work."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from casemgr.notifications.mail import MailSettings
from casemgr.notifications.senders import sender_from_config
from casemgr.notifications.services import Delivery, deliver_due
from casemgr.outage import database_unavailable
from casemgr.registry import registry_of
from escalation.metrics import SCHEDULER_FAILURES, SCHEDULER_PASS_SECONDS
from escalation.services import RunStats, Settings, run_due

log = logging.getLogger(__name__)


def _failed(what: str, error: Exception) -> None:
    """An outage is one line per tick (the next tick tries again); anything else its traceback."""
    if database_unavailable(error) is not None:
        log.warning("%s skipped: the database is not answering (%s); next tick tries again", what, error)
    else:
        log.exception("%s failed", what)


def tick(app: Flask) -> None:
    """One pass of due escalations, then due e-mail; errors are logged, never fatal.

    The pass ends with one log line of its counts (also as the record's fields, the
    JSON line's keys) and its time in ``casemgr_scheduler_pass_duration_seconds``."""
    started = time.perf_counter()
    registry = registry_of(app)
    db, now = registry.db, registry.clock.now()
    stats: RunStats | None = None
    delivery: Delivery | None = None
    try:
        stats = run_due(db.write_session_factory, now, Settings.from_app(app))
    except Exception as error:
        SCHEDULER_FAILURES.labels(part="escalation").inc()
        _failed("escalation pass", error)
    for job in registry.tick_jobs:  # e.g. RMA return reminders
        try:
            job(app, now)
        except Exception as error:
            SCHEDULER_FAILURES.labels(part="tick_job").inc()
            _failed(f"tick job {getattr(job, '__name__', job)}", error)
    try:
        with db.write_session_factory() as session:
            delivery = deliver_due(session, sender_from_config(app.config), now, MailSettings.from_config(app.config))
    except Exception as error:
        SCHEDULER_FAILURES.labels(part="delivery").inc()
        _failed("notification delivery", error)
    elapsed = time.perf_counter() - started
    SCHEDULER_PASS_SECONDS.observe(elapsed)
    _log_pass(now, stats, delivery, elapsed)


def _log_pass(now: datetime, stats: RunStats | None, delivery: Delivery | None, elapsed: float) -> None:
    counts = {
        "due_cases": stats.cases if stats else None,
        "fired": stats.fired if stats else None,
        "fired_late": stats.late if stats else None,
        "failed": len(stats.failed) if stats else None,
        "conflicts": stats.conflicts if stats else None,
        "mail_sent": delivery.sent if delivery else None,
        "mail_failed": delivery.failed if delivery else None,
    }
    trouble = stats is None or delivery is None or stats.failed or delivery.failed
    log.log(
        logging.WARNING if trouble else logging.INFO,
        "scheduler pass at %s: %s due case(s), %s step(s) fired (%s late), %s failed, %s conflict(s); "
        "e-mail %s sent, %s failed; %.0f ms",
        now.isoformat(timespec="seconds"),
        *counts.values(),
        elapsed * 1000,
        extra={"scheduler_pass": now.isoformat(timespec="seconds"), **counts, "duration_ms": round(elapsed * 1000, 1)},
    )


def make_scheduler(app: Flask, *, blocking: bool) -> BackgroundScheduler | BlockingScheduler:
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone="UTC")
    scheduler.add_job(
        tick,
        "interval",
        args=[app],
        seconds=app.config["SCHEDULER_TICK_SECONDS"],
        id="casemgr-tick",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
