"""A Casemgr home for fault tests: ``casemgr init`` on a database, a partner with a covered
asset, a customer admin and their API tokens, then gunicorn (2 workers) or the embedded
waitress server (``casemgr serve``) on it, started and stopped by their process ids."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.faults.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ADMIN_EMAIL = "root@vendor.example.com"
CUSTOMER_EMAIL = "admin@partner.example.com"
PASSWORD = "correct horse battery"


@dataclass
class Home:
    """What a running Casemgr needs besides its code: a database, an instance folder, tokens."""

    url: str
    instance: Path
    asset_serial: str = ""
    admin_token: str = ""
    customer_token: str = ""

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEMGR_", "PYTEST_"))}
        env.update(
            DATABASE_URL=self.url,
            CASEMGR_INSTANCE=str(self.instance),
            SECRET_KEY="fault-tests-" + "x" * 24,
            CASEMGR_LOGIN_RATE_LIMIT="100000 per minute",
            CASEMGR_LOGIN_ACCOUNT_RATE_LIMIT="100000 per minute",
            CASEMGR_API_RATE_LIMIT="1000000 per minute",  # one token drives the load and the fuzzing
            CASEMGR_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        env.update(extra)
        return env

    def casemgr(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(VENV_BIN / "casemgr"), *args],
            cwd=ROOT,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"casemgr {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout


def initialise(home: Home) -> Home:
    """``casemgr init`` (migrations, vendor, admin), then a partner with an asset (no contract:
    its cases open flagged not entitled) and a
    customer admin, and an API token for each of the two users."""
    home.casemgr("init", "--vendor", "Vendor", "--admin-email", ADMIN_EMAIL, "--password-stdin", stdin=PASSWORD + "\n")
    from casemgr import create_app
    from casemgr.auth.services import find_user_by_email
    from casemgr.auth.tokens import create_token
    from casemgr.db import new_session
    from casemgr.registry import registry_of
    from tests.factories import T0, create_asset, create_org, create_user

    app = create_app({"DATABASE_URL": home.url, "INSTANCE_PATH": str(home.instance), "TESTING": True})
    try:
        with app.app_context(), new_session(app, write=True) as session:
            org = create_org(session, name="Partner")
            home.asset_serial = create_asset(session, org=org, serial="SA-FAULT-1", plan=None).serial
            customer = create_user(session, "customer_admin", org=org, email=CUSTOMER_EMAIL)
            admin = find_user_by_email(session, ADMIN_EMAIL)
            assert admin is not None, "casemgr init made the admin"
            home.admin_token = create_token(session, admin, "fault tests", T0)[1]
            home.customer_token = create_token(session, customer, "fault tests", T0)[1]
            session.commit()
    finally:
        registry_of(app).db.dispose()
    return home


class Server:
    """A server process on 127.0.0.1; ``base`` is its URL. Stopped with SIGTERM to its pid."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        self.access_log: Path | None = None  # gunicorn's, when started with --access-logfile
        with log.open("wb") as out:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(self.base + "/healthz", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)  # waiting for the process to listen, not for time in the app
        self.stop()
        raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def gunicorn(home: Home, workers: int = 2, threads: int = 4, extra: list[str] | None = None) -> Server:
    port = free_port()
    command = [
        str(VENV_BIN / "gunicorn"),
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        *(extra or []),
        "casemgr:create_app()",
    ]
    return Server(command, home.env(), port, home.instance / "gunicorn.log")


def waitress(home: Home) -> Server:
    """The embedded server (``casemgr serve``: waitress, with the in-process scheduler)."""
    port = free_port()
    command = [str(VENV_BIN / "casemgr"), "serve", "--port", str(port), "--threads", "8"]
    return Server(command, home.env(CASEMGR_TICK_SECONDS="1"), port, home.instance / "waitress.log")


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def logged_in(base: str, email: str) -> tuple[requests.Session, str]:
    """A browser-like session logged in as ``email``, and its CSRF token for later forms."""
    browser = requests.Session()
    browser.headers["Connection"] = "close"  # see tests.faults.load.client
    page = browser.get(base + "/login", timeout=30)
    token = CSRF.search(page.text)
    assert token, "the login page has a CSRF token"
    answer = browser.post(
        base + "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    form = browser.get(base + "/cases/new", timeout=30)
    token = CSRF.search(form.text)
    assert token, "the new-case form has a CSRF token"
    return browser, token.group(1)
