"""gunicorn settings for Casemgr: ``gunicorn -c deploy/gunicorn.conf.py`` (see deploy/GUIDE.md).

Every value can be changed from the environment (the systemd unit's EnvironmentFile):
CASEMGR_BIND, CASEMGR_WORKERS, CASEMGR_TIMEOUT, CASEMGR_FORWARDED_ALLOW_IPS and
PROMETHEUS_MULTIPROC_DIR. The app writes one log line per request itself (JSON when
standard error is not a terminal), so gunicorn's access log is off and its own lines
go through the same formatter.
"""

import multiprocessing
import os
import tempfile

wsgi_app = "casemgr:create_app()"
bind = os.environ.get("CASEMGR_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("CASEMGR_WORKERS", str(min(2 * multiprocessing.cpu_count() + 1, 8))))
timeout = int(os.environ.get("CASEMGR_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# The TLS proxy in front (deploy/GUIDE.md) is trusted for X-Forwarded-Proto: HTTPS links and secure cookies.
forwarded_allow_ips = os.environ.get("CASEMGR_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = None  # the app's own line per request (casemgr.logs) has the request id, user and organisation
errorlog = "-"
control_socket_disable = True  # no ~/.gunicorn/gunicorn.ctl that a second instance would take over

# Metrics of all workers (and the scheduler of this host) are summed from this folder
# (casemgr.metrics.multiproc). It must be set before the app is imported: it is, here.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"casemgr-metrics-{os.getuid()}"))

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "casemgr.logs.RequestContext"}},
    "formatters": {"casemgr": {"()": "casemgr.logs.formatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "filters": ["context"],
            "formatter": "casemgr",
        }
    },
    "root": {"level": os.environ.get("CASEMGR_LOG_LEVEL", "INFO"), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False, "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False, "qualname": "gunicorn.access"},
    },
}


def on_starting(server):
    """Before any worker: the metrics folder exists, without the files of earlier runs."""
    from casemgr.metrics.multiproc import prepare

    removed = prepare(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    server.log.info(
        "metrics folder %s ready (%d stale file(s) removed)", os.environ["PROMETHEUS_MULTIPROC_DIR"], len(removed)
    )


def child_exit(server, worker):
    """A worker is gone: its live gauges leave the sums (its counters stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """The worker has loaded the app: its long-lived objects (modules, models, compiled
    statements) leave the garbage collector's view (``gc.freeze``), so a full collection
    during a request walks what requests made, not 200,000 objects of the app (about 11 ms
    of a 58 ms search at 1,000,000 cases: bench/search_bench.py, which freezes the same way)."""
    import gc

    gc.freeze()
