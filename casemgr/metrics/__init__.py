"""Prometheus metrics: every series is named ``casemgr_*``.

What processes count (requests, escalation firings, safety blocks, mail ingest
outcomes, scheduler passes) is written where it happens, after the commit, into
:data:`casemgr.metrics.series.SERIES`; under gunicorn and beside ``casemgr scheduler``
those values live in files in ``PROMETHEUS_MULTIPROC_DIR``, one per process, and a
scrape sums them. What the database knows (the outbox, the escalation backlog) is
read at scrape time by the registry's metric sources, with indexed queries whose
cost does not grow with the tables. ``GET /metrics`` serves both (see
:mod:`casemgr.metrics.views` for who may read it).
"""

from __future__ import annotations

from flask import Flask

from casemgr.metrics.access import MetricsAccess
from casemgr.registry import Registry


def init_metrics(app: Flask, registry: Registry) -> None:
    """The /metrics page, request timing, and the core's own scrape-time gauges."""
    from casemgr.metrics.database import outbox_metrics
    from casemgr.metrics.series import init_request_metrics
    from casemgr.metrics.views import bp

    registry.metrics_access = MetricsAccess.from_config(app.config)
    registry.metric_sources.append(outbox_metrics)
    init_request_metrics(app)
    app.register_blueprint(bp)
