"""``GET /metrics``: Prometheus's text format, ``casemgr_*`` series only.

The process series come from every process that wrote them: with
``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client's ``MultiProcessCollector``
sums the files all gunicorn workers and schedulers of this host keep there, so any
worker answers for all; without it, this process's own values. The database gauges
are read now, by the registry's metric sources (the core's outbox, escalation's lag).
Access: :mod:`casemgr.metrics.access`; anyone else gets a 404.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from casemgr.db import get_session
from casemgr.metrics.series import SERIES
from casemgr.registry import Registry, registry_of

bp = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Scrape(Collector):
    """One scrape: the processes' series, then the database's gauges."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        folder = os.environ.get(MULTIPROC_ENV)
        if folder:
            yield from multiprocess.MultiProcessCollector(None, path=folder).collect()
        else:
            yield from SERIES.collect()
        yield from self.database_gauges()

    def database_gauges(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("casemgr_metrics_database_up", "1 when the database answered this scrape's queries.")
        gathered: list[Metric] = []
        try:
            session, now = get_session(), self.registry.clock.now()
            for source in self.registry.metric_sources:
                gathered.extend(source(session, now))
            session.rollback()  # read only: end the transaction at once
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer (%s); its gauges are left out", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gathered


@bp.get("/metrics")
def metrics() -> Response:
    registry = registry_of()
    if registry.metrics_access is None or not registry.metrics_access.allows(request.remote_addr, request.headers):
        abort(404)
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(Scrape(registry))
    return Response(generate_latest(scrape), mimetype=CONTENT_TYPE_LATEST)
