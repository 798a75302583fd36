"""``casemgr scheduler`` through a database outage: while the database is stopped each tick
logs one line saying so and the process keeps ticking (no crash, no restart loop); when it
is back the very same process runs its passes again."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.faults.servers import ROOT, VENV_BIN

pytestmark = pytest.mark.commits

PASS_LINE = "scheduler pass at"
OUTAGE_LINE = "escalation pass skipped: the database is not answering"


def _wait_for_lines(log: Path, needle: str, count: int, proc: subprocess.Popen, limit_s: float = 60) -> str:
    """The log once it holds ``count`` lines with ``needle`` (bounded; fails if the process ends)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if text.count(needle) >= count:
            return text
        assert proc.poll() is None, f"the scheduler exited ({proc.returncode}):\n{text[-3000:]}"
        time.sleep(0.2)  # polling the log of another process
    raise AssertionError(f"{count} x {needle!r} not logged within {limit_s} s:\n{log.read_text()[-3000:]}")


def test_the_scheduler_keeps_ticking_through_a_database_outage_and_resumes(cluster, home):
    log = home.instance / "scheduler.log"
    env = home.env(CASEMGR_TICK_SECONDS="1", CASEMGR_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "casemgr"), "scheduler"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        passes_before = _wait_for_lines(log, PASS_LINE, 2, proc, limit_s=180).count(PASS_LINE)  # import + start
        cluster.stop("immediate")
        during = _wait_for_lines(log, OUTAGE_LINE, 3, proc)
        assert "Traceback" not in during, "an outage is a warning line per tick, not a traceback"
        passes_down = during.count(PASS_LINE)
        cluster.start()
        after = _wait_for_lines(log, PASS_LINE, passes_down + 2, proc)
        assert proc.poll() is None, "the same process still runs"
        assert after.count(PASS_LINE) >= passes_before + 2
        assert "Traceback" not in after
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
