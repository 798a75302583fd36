"""The series processes write: defined once here, incremented where the event happens.

They belong to :data:`SERIES`, not to prometheus-client's default registry, so that a
scrape shows ``casemgr_*`` series only (no ``process_*`` or ``python_*``). With
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn, the scheduler), prometheus-client keeps
each process's values in a file of that folder instead; the variable must be set
before the process starts, as it is read when prometheus-client is first imported.
"""

from __future__ import annotations

import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram

SERIES = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "casemgr_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint (never the raw path), method and status.",
    ["endpoint", "method", "status"],
    registry=SERIES,
)
SAFETY_BLOCKS = Counter(
    "casemgr_safety_blocks",
    "Attempts the safety guard blocked (recorded and committed), by channel and action.",
    ["channel", "action"],
    registry=SERIES,
)
MAIL_INGESTED = Counter(
    "casemgr_mail_ingested",
    "Inbound e-mails by outcome: reply, note, unverified, case, triage, ignored, duplicate, dead_letter.",
    ["outcome"],
    registry=SERIES,
)
#: What ``casemgr.channels.mail.ingest`` can do with a message; each shown from 0 on, so that
#: a rate or an alert on one exists before the first such message.
MAIL_OUTCOMES = ("reply", "note", "unverified", "case", "triage", "ignored", "duplicate", "dead_letter")
for _outcome in MAIL_OUTCOMES:
    MAIL_INGESTED.labels(outcome=_outcome)
#: The endpoint label of a request no route matched (a 404 for an unknown path).
UNMATCHED = "unmatched"
#: Methods labelled as themselves; any other (a client may send any token) is "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def init_request_metrics(app: Flask) -> None:
    """Time every request from its first hook to its response, labelled by endpoint."""

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.get("metrics_started")
        if started is not None:
            REQUEST_SECONDS.labels(
                endpoint=request.endpoint or UNMATCHED,
                method=request.method if request.method in METHODS else "other",
                status=str(response.status_code),
            ).observe(time.perf_counter() - started)
        return response
