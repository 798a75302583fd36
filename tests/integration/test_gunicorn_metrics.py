"""A real gunicorn with two workers, started with deploy/gunicorn.conf.py, and a real
``casemgr scheduler`` beside it: /metrics sums every process's series (prometheus-client's
multiprocess mode), and every log line on standard error is one JSON object."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.smtp_sink import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REQUESTS = 120
HEALTHZ = {"endpoint": "health.healthz", "method": "GET", "status": "200"}

pytestmark = pytest.mark.commits


@dataclass
class Server:
    url: str
    metrics_dir: Path
    stderr: Path
    process: subprocess.Popen

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, response.read().decode()

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stderr.read_text().splitlines() if line.strip()]


def environment(db_url: str, tmp_path: Path, metrics_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEMGR_", "PROMETHEUS_"))}
    env.update(
        DATABASE_URL=db_url,
        SECRET_KEY="test-only-" + "y" * 20,
        CASEMGR_INSTANCE=str(tmp_path / "instance"),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        PYTHONPATH=str(REPO),
    )
    return env


def wait_until(condition, what: str, seconds: float = 60) -> None:
    """Poll a real process until ``condition()`` holds (bounded); never a fixed sleep."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def server(db_url, tmp_path) -> Iterator[Server]:
    metrics_dir = tmp_path / "metrics"
    port = free_port()
    env = environment(db_url, tmp_path, metrics_dir)
    env.update(CASEMGR_BIND=f"127.0.0.1:{port}", CASEMGR_WORKERS="2")
    stderr = tmp_path / "gunicorn.stderr"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(REPO / "deploy" / "gunicorn.conf.py")],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    served = Server(f"http://127.0.0.1:{port}", metrics_dir, stderr, process)

    def ready() -> bool:
        assert process.poll() is None, stderr.read_text()[-3000:]
        try:
            return served.get("/readyz")[0] == 200
        except OSError:
            return False

    try:
        wait_until(ready, "gunicorn answers /readyz")
        yield served
    finally:
        stop(process)


def healthz_count(families) -> float:
    return sum(
        s.value
        for f in families
        for s in f.samples
        if s.name == "casemgr_http_request_duration_seconds_count" and s.labels == HEALTHZ
    )


def per_worker_healthz(metrics_dir: Path) -> dict[int, float]:
    """What each worker's own file holds (MultiProcessCollector.merge of that file alone)."""
    counts = {}
    for path in sorted(metrics_dir.glob("histogram_*.db")):
        counts[int(path.stem.split("_")[-1])] = healthz_count(MultiProcessCollector.merge([str(path)]))
    return counts


def test_metrics_sum_both_workers_and_the_scheduler_and_every_log_line_is_json(server, db_url, tmp_path):
    def hit(i: int) -> int:
        return server.get("/healthz", {"X-Request-ID": f"load-{i}"})[0]

    sent = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        while sent < REQUESTS or sum(1 for n in per_worker_healthz(server.metrics_dir).values() if n) < 2:
            assert sent < 10 * REQUESTS, "one worker served everything"
            assert set(pool.map(hit, range(sent, sent + 40))) == {200}
            sent += 40
    per_worker = per_worker_healthz(server.metrics_dir)
    assert len([n for n in per_worker.values() if n]) == 2, per_worker
    assert sum(per_worker.values()) == sent

    status, body = server.get("/metrics")
    assert status == 200
    families = list(text_string_to_metric_families(body))
    assert healthz_count(families) == sent, "one scrape answers for both workers"
    names = {f.name for f in families}
    assert {"casemgr_outbox_depth", "casemgr_outbox_oldest_age_seconds", "casemgr_escalation_lag_seconds"} <= names
    assert all(name.startswith("casemgr_") for name in names), names

    lines = server.log_lines()  # json.loads of every line: one that is not JSON fails here
    assert any(line["logger"] == "gunicorn.error" and "Listening at" in line["message"] for line in lines)
    mine = next(line for line in lines if line.get("request_id") == "load-7")
    assert mine["logger"] == "casemgr.request" and mine["endpoint"] == "health.healthz"
    assert (mine["method"], mine["path"], mine["status"], mine["actor"], mine["org"]) == (
        "GET",
        "/healthz",
        200,
        "-",
        "-",
    )
    assert isinstance(mine["duration_ms"], float) and mine["level"] == "INFO" and mine["timestamp"].endswith("+00:00")
    assert not any(line["logger"] == "gunicorn.access" for line in lines), "the app's own line replaces the access log"
    scheduler_joins_the_metrics_and_logs_its_counts(server, db_url, tmp_path)


def scheduler_joins_the_metrics_and_logs_its_counts(server: Server, db_url: str, tmp_path: Path) -> None:
    """A real ``casemgr scheduler`` beside the workers (one gunicorn start serves both checks)."""
    env = environment(db_url, tmp_path, server.metrics_dir)
    env["CASEMGR_TICK_SECONDS"] = "1"
    stderr = tmp_path / "scheduler.stderr"
    with stderr.open("wb") as err:
        scheduler = subprocess.Popen(
            [str(BIN / "casemgr"), "scheduler"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err
        )

    def passes() -> float:
        body = server.get("/metrics")[1]
        return sum(
            s.value
            for f in text_string_to_metric_families(body)
            for s in f.samples
            if s.name == "casemgr_scheduler_pass_duration_seconds_count"
        )

    try:
        wait_until(lambda: scheduler.poll() is None and passes() >= 1, "a scheduler pass in the web's /metrics")
    finally:
        stop(scheduler)
    assert any(p.stem.endswith(f"_{scheduler.pid}") for p in server.metrics_dir.glob("*.db"))
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.strip()]
    tick = next(line for line in lines if line["logger"] == "escalation.scheduler")
    assert tick["message"].startswith("scheduler pass at")
    assert {k: tick[k] for k in ("due_cases", "fired", "failed", "conflicts", "mail_sent", "mail_failed")} == {
        "due_cases": 0,
        "fired": 0,
        "failed": 0,
        "conflicts": 0,
        "mail_sent": 0,
        "mail_failed": 0,
    }
    assert tick["duration_ms"] >= 0 and tick["request_id"] == "-"
