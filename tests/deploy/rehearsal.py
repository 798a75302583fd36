"""The pieces of a rehearsed production deployment (deploy/GUIDE.md) on this machine: one
environment file's worth of variables, gunicorn with deploy/gunicorn.conf.py, ``casemgr
scheduler`` processes, a clock file that every process reads (CASEMGR_TEST_CLOCK_FILE),
and an SMTP sink that can hold its answers so that a scheduler is killed mid-delivery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.faults.cluster import free_port
from tests.faults.servers import ROOT, VENV_BIN, Server
from tests.s3_server import CREDENTIALS
from tests.smtp_sink import SmtpSink

SECRET = "rehearsal-" + "5e" * 27  # the same on every host (GUIDE section 2)


@dataclass
class Deployment:
    """What every host of the deployment shares (the GUIDE's casemgr.env), plus the test clock."""

    database_url: str
    redis_url: str
    smtp_url: str
    s3_endpoint: str
    bucket: str
    root: Path
    clock_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.clock_file = self.root / "clock"

    def set_clock(self, instant: datetime) -> None:
        """Move every process's time at once (written whole: a reader never sees half)."""
        partial = self.clock_file.with_suffix(".new")
        partial.write_text(instant.isoformat())
        partial.replace(self.clock_file)

    def env(self, host: str, **extra: str) -> dict[str, str]:
        """The environment of one host: the shared file plus this host's instance and metrics folders."""
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("CASEMGR_", "PYTEST_", "AWS_", "PROMETHEUS_"))
        }
        instance = self.root / f"host-{host}"
        instance.mkdir(exist_ok=True)
        metrics = self.root / f"metrics-{host}"
        metrics.mkdir(exist_ok=True)
        return {
            **inherited,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": SECRET,
            "CASEMGR_BASE_URL": "https://support.example.com/",
            "CASEMGR_RATELIMIT_STORAGE": self.redis_url,
            "SMTP_URL": self.smtp_url,
            "CASEMGR_MAIL_FROM": "Example Support <support@example.com>",
            "CASEMGR_MAIL_REPLY_TO": "support@example.com",
            "CASEMGR_ATTACHMENT_URL": f"s3://{self.bucket}/attachments",
            "AWS_ENDPOINT_URL": self.s3_endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "AWS_REGION": CREDENTIALS["AWS_DEFAULT_REGION"],
            "CASEMGR_INSTANCE": str(instance),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "CASEMGR_TEST_CLOCK_FILE": str(self.clock_file),
            "CASEMGR_LOG_FORMAT": "json",
            "CASEMGR_PYTHON": str(VENV_BIN / "python"),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def casemgr(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(VENV_BIN / "casemgr"), *args],
            cwd=ROOT,
            env=self.env("cli"),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"casemgr {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def gunicorn(self, host: str) -> Server:
        """deploy/gunicorn.conf.py with 2 workers, as casemgr-web.service starts it."""
        port = free_port()
        env = self.env(host, CASEMGR_BIND=f"127.0.0.1:{port}", CASEMGR_WORKERS="2")
        command = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        return Server(command, env, port, self.root / f"gunicorn-{host}.log")

    def scheduler(self, host: str) -> Scheduler:
        return Scheduler(self.env(host, CASEMGR_TICK_SECONDS="1"), self.root / f"scheduler-{host}.log")


class Scheduler:
    """``casemgr scheduler`` as casemgr-scheduler.service starts it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "casemgr"), "scheduler"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def passes(self) -> int:
        return self.log.read_text(errors="replace").count('"scheduler_pass"')

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class HoldingSink(SmtpSink):
    """An SMTP sink that, while ``holding`` is set, answers no RCPT: a sender waits there,
    before any DATA, so a sender killed meanwhile has delivered nothing."""

    holding: threading.Event = field(default_factory=threading.Event)
    held_peers: list[tuple[str, int]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.holding.is_set():
            self.held_peers.append(session.peer)
        while self.holding.is_set():
            await asyncio.sleep(0.05)  # the sink's own pause, released by the test (no app time)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def pid_with_local_port(pids: list[int], port: int) -> int | None:
    """Which of ``pids`` holds the TCP socket whose local port is ``port`` (from /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    return None


def wait_until(what: str, check, limit_s: float = 60):
    """Poll another process's effect (a database row, a log line) until ``check()`` is truthy."""
    deadline = time.monotonic() + limit_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit_s} s: {what}")
        time.sleep(0.1)  # polling other processes, not waiting for the app's time
