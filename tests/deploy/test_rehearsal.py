"""Rehearse deploy/GUIDE.md on one machine: two gunicorn "hosts" and two schedulers on one
PostgreSQL database, one Redis and one bucket; a case opened through one host is read and
answered through the other; escalation steps fall due on a moved clock while a scheduler is
killed -9 mid-delivery, and each fires and mails once; login failures count across hosts;
a backup restored into a fresh database and bucket serves the case again."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import create_engine, func, select

from casemgr.notifications.models import Notification
from escalation.models import EscalationFiring, EscalationStep
from tests.deploy.rehearsal import Deployment, pid_with_local_port, wait_until
from tests.faults.servers import CSRF, ROOT

pytestmark = pytest.mark.commits

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the rehearsal's "now" when the case opens
ADMIN, CUSTOMER = "ops@example.com", "it@initech.example.com"
PASSWORD = "correct horse battery staple"
LOG_BYTES = b"controller dump\x00\xff" + os.urandom(200_000)
#: Severity 1 on a 24x7 plan: first response 30 min, update 60 min, resolution 240 min.
TARGETS = {"first_response": 30, "next_update": 60, "resolution": 240}


def _api(base: str, token: str, method: str, path: str, **kw) -> requests.Response:
    return requests.request(
        method, base + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kw
    )


def _created(answer: requests.Response) -> dict:
    assert answer.status_code == 201, answer.text[:500]
    return answer.json()


def _set_up_partner(base: str, token: str) -> None:
    """Partner, site, product, 24x7 plan, contract, asset, vendor staff and a customer: the API only."""
    org = _created(_api(base, token, "POST", "/organizations", json={"name": "Initech"}))["id"]
    site = {"name": "Austin DC", "timezone": "America/Chicago"}
    _created(_api(base, token, "POST", f"/organizations/{org}/sites", json=site))
    _created(_api(base, token, "POST", "/products", json={"model": "IX-1", "product_line": "InitArray"}))
    asset = {"serial": "IX-0001", "product_model": "IX-1", "organization_id": org, "site": "Austin DC"}
    _created(_api(base, token, "POST", "/assets", json=asset))
    plan = {"code": "P24", "name": "Premium 24x7", "always": True, "targets": {s: TARGETS for s in "1234"}}
    _created(_api(base, token, "POST", "/plans", json=plan))
    contract = {"number": "C-INI-1", "organization_id": org, "plan_code": "P24"}
    contract |= {"starts_on": "2026-01-01", "ends_on": "2027-12-31", "asset_serials": ["IX-0001"]}
    _created(_api(base, token, "POST", "/contracts", json=contract))
    for email, role, extra in (
        ("l1@example.com", "support_engineer", {"tier": "L1"}),
        ("l2@example.com", "support_engineer", {"tier": "L2"}),
        ("duty@example.com", "support_manager", {}),
        (CUSTOMER, "customer_admin", {"organization_id": org}),
    ):
        user = {"email": email, "role": role, "password": PASSWORD, **extra}
        _created(_api(base, token, "POST", "/users", json=user))


def _failed_login(browser: requests.Session, base: str) -> requests.Response:
    token = CSRF.search(browser.get(base + "/login", timeout=30).text)
    assert token, "the login page has a CSRF token"
    form = {"email": CUSTOMER, "password": "wrong guess", "csrf_token": token.group(1)}
    return browser.post(base + "/login", data=form, allow_redirects=False, timeout=30)


def _firings(engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(EscalationStep.name, EscalationFiring.episode, EscalationFiring.cycle).join(
                EscalationStep, EscalationStep.id == EscalationFiring.step_id
            )
        )
        return [tuple(r) for r in rows]


def _escalation_mails(engine) -> list[tuple[str, str, str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Notification.email, Notification.subject, Notification.status, Notification.message_id).where(
                Notification.channel == "email", Notification.subject.contains("Escalation:")
            )
        )
        return [tuple(r) for r in rows]


def _pending_mail(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.channel == "email", Notification.status != "sent")
        )


def test_the_documented_deployment_rehearsed_on_two_hosts(pg_databases, redis_url, own_s3_server, smtp_sink, scratch):
    started = time.monotonic()
    live_url, restored_url = pg_databases
    deployment = Deployment(live_url, redis_url, smtp_sink.url, own_s3_server.url, own_s3_server.new_bucket(), scratch)
    deployment.set_clock(T0)
    engine = create_engine(live_url)
    running: list = []
    figures: dict[str, object] = {}
    try:
        # 1. casemgr init with the GUIDE's environment, an admin token from the CLI.
        deployment.casemgr(
            "init", "--vendor", "Example Storage Inc", "--admin-email", ADMIN, "--password-stdin", stdin=PASSWORD + "\n"
        )
        admin_token = deployment.casemgr("token", "create", "--user", ADMIN).strip().splitlines()[-1]

        # 2. Two hosts: gunicorn (2 workers) and a scheduler on each.
        host_a = deployment.gunicorn("a")
        running.append(host_a)
        host_b = deployment.gunicorn("b")
        running.append(host_b)
        schedulers = [deployment.scheduler("a"), deployment.scheduler("b")]
        running += schedulers

        # 3. Set-up and a Severity 1 case with an attachment through A; read, download, reply through B.
        _set_up_partner(host_a.base, admin_token)
        customer = deployment.casemgr("token", "create", "--user", CUSTOMER).strip().splitlines()[-1]
        case = _created(
            _api(
                host_a.base,
                customer,
                "POST",
                "/cases",
                json={
                    "asset_serial": "IX-0001",
                    "severity": 1,
                    "subject": "Array offline",
                    "description": "Both controllers down.",
                },
            )
        )
        number = case["number"]
        assert case["entitled"] is True
        uploaded = _created(
            _api(
                host_a.base,
                customer,
                "POST",
                f"/cases/{number}/attachments",
                files={"file": ("controller.dump", LOG_BYTES, "application/octet-stream")},
            )
        )["items"][0]
        seen = _api(host_b.base, customer, "GET", f"/cases/{number}")
        assert seen.status_code == 200 and seen.json()["subject"] == "Array offline"
        download = _api(host_b.base, customer, "GET", f"/cases/{number}/attachments/{uploaded['id']}")
        assert download.status_code == 200 and download.content == LOG_BYTES
        _created(
            _api(host_b.base, customer, "POST", f"/cases/{number}/comments", json={"body": "Still down at 10:05."})
        )
        wait_until("the opening mails are delivered", lambda: _pending_mail(engine) == 0)
        assert _firings(engine) == [], "nothing is due at T0"

        # 4. Steps fall due while the sink holds its answers; the scheduler caught delivering is killed -9.
        smtp_sink.holding.set()
        deployment.set_clock(T0 + timedelta(minutes=20))  # 50 % of first response: remind the owner
        wait_until("a scheduler delivers the reminder", lambda: smtp_sink.held_peers, limit_s=90)
        pids = [s.pid for s in schedulers]
        victim_pid = wait_until("the delivering process", lambda: pid_with_local_port(pids, smtp_sink.held_peers[0][1]))
        victim = next(s for s in schedulers if s.pid == victim_pid)
        survivor = next(s for s in schedulers if s.pid != victim_pid)
        victim.kill9()
        smtp_sink.holding.clear()
        figures["killed"] = f"scheduler-{'ab'[schedulers.index(victim)]} (pid {victim_pid}) mid-delivery"
        # Past the killed sender's 30-minute lease, then past every step of the ladder.
        for minutes in (60, 150, 300, 540):
            deployment.set_clock(T0 + timedelta(minutes=minutes))
            passes = survivor.passes()
            wait_until(f"two passes at T0+{minutes} min", lambda p=passes: survivor.passes() >= p + 2, limit_s=90)
        wait_until("every escalation e-mail is delivered", lambda: _pending_mail(engine) == 0, limit_s=90)
        survivor.stop()

        fired = _firings(engine)
        duplicates = {k: n for k, n in Counter(fired).items() if n > 1}
        assert duplicates == {}
        names = {name for name, _episode, _cycle in fired}
        expected = {
            "Remind the owner",
            "Page L2 on call",
            "Page the duty manager",
            "Resolution at risk: L3 engineering",
            "Resolution breached: support manager",
            "Resolution far overdue: director",
        }
        assert expected <= names, f"missing: {expected - names}"
        # None missing: one more pass at the same instant finds nothing left to fire.
        again = deployment.casemgr("escalation", "run-due", "--now", (T0 + timedelta(minutes=540)).isoformat())
        assert " 0 step(s) fired" in again, again
        mails = _escalation_mails(engine)
        assert mails and all(status == "sent" for _e, _s, status, _m in mails)
        received = Counter(
            (r.rcpt_tos[0], r.message["Subject"]) for r in smtp_sink.received if "Escalation:" in r.message["Subject"]
        )
        assert received == Counter((email, subject) for email, subject, _st, _m in mails), "each escalation mail once"
        figures |= {"steps_fired": len(fired), "duplicates": len(duplicates), "escalation_mails": len(mails)}
        # Each host's /metrics sums its schedulers' files too (the killed one's counts stay).
        counted = sum(_firings_counted(host.base) for host in (host_a, host_b))
        assert counted == len(fired), f"/metrics of A and B count {counted} firings, the database holds {len(fired)}"

        # 5. Login failures through A and B count together (Redis): 10 per account per 15 minutes.
        browsers = {host.base: requests.Session() for host in (host_a, host_b)}
        answers = [_failed_login(browsers[host.base], host.base) for _ in range(5) for host in (host_a, host_b)]
        assert all(a.status_code == 400 and "wrong password" in a.text for a in answers), [
            a.status_code for a in answers
        ]
        refused = _failed_login(browsers[host_a.base], host_a.base)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        refused_b = _failed_login(browsers[host_b.base], host_b.base)
        assert refused_b.status_code == 429

        # 6. Backup, restore into a fresh database and bucket, one gunicorn on the copy.
        timeline = _api(host_a.base, customer, "GET", f"/cases/{number}/events").json()
        backup = scratch / "backup"
        said = _script("backup", str(backup), deployment.env("ops"))
        assert "1 attachment file(s)" in said, said
        restored_bucket = own_s3_server.new_bucket()
        restored_env = deployment.env(
            "ops", DATABASE_URL=restored_url, CASEMGR_ATTACHMENT_URL=f"s3://{restored_bucket}/attachments"
        )
        _script("restore", str(backup), restored_env)
        restored = Deployment(
            restored_url, redis_url, smtp_sink.url, own_s3_server.url, restored_bucket, scratch / "restored"
        )
        restored.root.mkdir()
        restored.set_clock(T0 + timedelta(minutes=540))
        host_c = restored.gunicorn("c")
        running.append(host_c)
        again_case = _api(host_c.base, customer, "GET", f"/cases/{number}")
        assert again_case.status_code == 200 and again_case.json()["subject"] == "Array offline"
        assert _api(host_c.base, customer, "GET", f"/cases/{number}/events").json() == timeline
        copy = _api(host_c.base, customer, "GET", f"/cases/{number}/attachments/{uploaded['id']}")
        assert copy.status_code == 200 and copy.content == LOG_BYTES
    finally:
        for process in reversed(running):
            process.stop()
        engine.dispose()
        figures["duration_s"] = round(time.monotonic() - started, 1)
        print(f"\nrehearsal figures: {figures}")
    assert figures["duration_s"] < 240


def _firings_counted(base: str) -> float:
    """casemgr_escalation_firings_total summed over its labels, from one host's /metrics."""
    text = requests.get(base + "/metrics", timeout=30).text
    lines = [line for line in text.splitlines() if line.startswith("casemgr_escalation_firings_total{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def _script(name: str, folder: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(ROOT / "scripts" / name), folder], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
