"""The tick: APScheduler only says "now"; the runner and the outbox do the work."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from casemgr.notifications.mail import MailSettings
from casemgr.notifications.senders import sender_from_config
from casemgr.notifications.services import deliver_due
from casemgr.outage import database_unavailable
from casemgr.registry import registry_of
from escalation.services import Settings, run_due

log = logging.getLogger(__name__)


def _failed(what: str, error: Exception) -> None:
    """An outage is one line per tick (the next tick tries again); anything else its traceback."""
    if database_unavailable(error) is not None:
        log.warning("%s skipped: the database is not answering (%s); next tick tries again", what, error)
    else:
        log.exception("%s failed", what)


def tick(app: Flask) -> None:
    """One pass of due escalations, then due e-mail; errors are logged, never fatal."""
    registry = registry_of(app)
    db, now = registry.db, registry.clock.now()
    try:
        stats = run_due(db.write_session_factory, now, Settings.from_app(app))
        log.log(
            logging.WARNING if stats.failed else logging.INFO,
            "escalation pass at %s: %s due case(s), %s step(s) fired, %s failed, %s conflict(s)",
            now.isoformat(timespec="seconds"),
            stats.cases,
            stats.fired,
            len(stats.failed),
            stats.conflicts,
        )
    except Exception as error:
        _failed("escalation pass", error)
    for job in registry.tick_jobs:  # e.g. RMA return reminders
        try:
            job(app, now)
        except Exception as error:
            _failed(f"tick job {getattr(job, '__name__', job)}", error)
    try:
        with db.write_session_factory() as session:
            deliver_due(session, sender_from_config(app.config), now, MailSettings.from_config(app.config))
    except Exception as error:
        _failed("notification delivery", error)


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
