"""Benchmark: the support engineer's queue sorted by the next SLA deadline, at 1,000 and N open cases.

Command (from the repository root)::

    .venv/bin/python bench/queue_bench.py --db both --open-cases 50000

What it builds, per database and per size (1,000 open cases, then ``--open-cases``;
SQLite: a file in a temp dir; PostgreSQL: its own database ``casemgr_queue_bench``
on 127.0.0.1:5432, dropped and re-created each time): a fresh schema (Alembic),
``--orgs`` partners with 4 assets each, the open cases bulk-loaded with Core
``insert()`` (severities 1-4, every status but resolved and closed, owners, tiers,
some not entitled, some customer-escalated, a tenth paused) with SLA due times
spread from 6 hours ago to 3 days ahead, their stored next deadline derived by
``casemgr.queue.rules.next_deadline`` as the services do, plus as many resolved
or closed cases (no deadline). ``ANALYZE`` runs after the load.

What it measures: ``GET /cases/`` as a support engineer (the default: open cases,
most urgent first, 50 a page, rendered) ``--requests`` times through the Flask
test client, p50 and p95 of the wall time and of this process's CPU time (on
a shared machine the CPU time says what the page costs; for SQLite it includes
the database's work, for PostgreSQL not the server's); then the SQL statements one page costs (counted on the
app's engines), for the default page, the breached filter and page 3. The count
must not depend on the number of cases.

Target (issue 19): p95 < 100 ms at 50,000 open cases; equal statement counts.
This is a benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import event, insert, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.pg import drop_database, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.assets.models import Asset, Part, Product  # noqa: E402
from casemgr.auth.models import User  # noqa: E402
from casemgr.cases.models import Case  # noqa: E402
from casemgr.clock import FixedClock  # noqa: E402
from casemgr.db import make_engine  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.organizations.models import Organization, Site  # noqa: E402
from casemgr.queue.rules import ClockState, next_deadline  # noqa: E402
from casemgr.registry import registry_of  # noqa: E402

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
PG_DB = "casemgr_queue_bench"
PASSWORD = "bench horse battery"
START = time.perf_counter()
OPEN = ("new", "in_progress", "waiting_vendor", "waiting_customer")


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - START:7.1f}s] {msg}", flush=True)


def database_for(kind: str, tmp: Path, size: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'queue-bench-{size}.sqlite3'}"
    return fresh_database(PG_DB)


def load(engine, open_cases: int, orgs: int) -> None:
    rng = random.Random(19)
    with engine.begin() as conn:

        def bulk(model, rows: list[dict], batch: int = 10_000) -> None:
            for i in range(0, len(rows), batch):
                conn.execute(insert(model), rows[i : i + batch])

        bulk(
            Organization,
            [{"id": 1, "name": "Vendor", "is_vendor": True, "created_at": NOW}]
            + [
                {"id": o, "name": f"Partner {o:03d}", "is_vendor": False, "created_at": NOW} for o in range(2, orgs + 2)
            ],
        )
        bulk(
            Site,
            [
                {"id": o, "organization_id": o, "name": f"DC {o}", "timezone": "UTC", "address": ""}
                for o in range(2, orgs + 2)
            ],
        )
        conn.execute(
            insert(Part),
            [{"id": 1, "part_number": "DRV-1", "description": "drive", "kind": "drive", "data_bearing": True}],
        )
        conn.execute(insert(Product), [{"id": 1, "model": "SA-1", "product_line": "StorArray"}])
        bulk(
            Asset,
            [
                {
                    "id": (o - 2) * 4 + k + 1,
                    "serial": f"P{o:03d}-A{k}",
                    "product_id": 1,
                    "organization_id": o,
                    "site_id": o,
                    "created_at": NOW,
                }
                for o in range(2, orgs + 2)
                for k in range(4)
            ],
        )
        pw = generate_password_hash(PASSWORD)
        bulk(
            User,
            [
                {
                    "id": u,
                    "email": f"eng{u}@bench.example.com",
                    "name": f"Engineer {u}",
                    "role": "support_engineer",
                    "organization_id": 1,
                    "created_at": NOW,
                    "password_hash": pw,
                    "tier": "L1",
                }
                for u in range(1, 11)
            ],
        )
        rows = []
        for i in range(1, 2 * open_cases + 1):
            is_open = i <= open_cases
            org = 2 + i % orgs
            created = NOW - timedelta(minutes=rng.randint(10, 5 * 24 * 60))
            status = rng.choice(OPEN) if is_open else rng.choice(("resolved", "closed"))
            answered = rng.random() < 0.7
            first_due = NOW + timedelta(minutes=rng.randint(-360, 4320))
            update_due = NOW + timedelta(minutes=rng.randint(-360, 4320)) if answered else None
            resolution_due = NOW + timedelta(minutes=rng.randint(-360, 4320))
            paused = NOW - timedelta(minutes=30) if status == "waiting_customer" else None
            row = {
                "id": i,
                "number": f"CS-{i:07d}",
                "organization_id": org,
                "asset_id": (org - 2) * 4 + 1 + i % 4,
                "entitled": rng.random() > 0.05,
                "severity": rng.randint(1, 4),
                "status": status,
                "subject": f"Bench case {i}",
                "description": "Generated.",
                "channel": "portal",
                "owner_id": rng.choice([None, *range(1, 11)]),
                "queue": rng.choice(("L1", "L1", "L2", "L3")),
                "escalation_level": 0,
                "first_response_due_at": first_due,
                "first_response_at": created + timedelta(minutes=5) if answered else None,
                "first_response_breached": False,
                "next_update_due_at": update_due,
                "last_vendor_update_at": created + timedelta(minutes=5) if answered else None,
                "next_update_breaches": 0,
                "resolution_due_at": resolution_due,
                "resolution_breached": False,
                "sla_paused_at": paused,
                "created_at": created,
                "updated_at": created,
                "resolved_at": NOW if status == "resolved" else None,
                "closed_at": NOW if status == "closed" else None,
                "customer_escalated_at": NOW if is_open and rng.random() < 0.02 else None,
                "version": 1,
            }
            deadline = next_deadline(
                ClockState(
                    status,
                    paused is not None,
                    created,
                    first_due,
                    row["first_response_at"],
                    update_due,
                    row["last_vendor_update_at"],
                    resolution_due,
                )
            )
            row["next_due_at"] = deadline.due_at if deadline else None
            row["next_due_kind"] = deadline.kind if deadline else None
            row["at_risk_at"] = deadline.at_risk_at if deadline else None
            rows.append(row)
        bulk(Case, rows)
        conn.execute(text("ANALYZE"))
    log(f"loaded {open_cases} open and {open_cases} resolved or closed cases over {orgs} partners")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(int(round(p / 100 * (len(values) - 1))), len(values) - 1)]


def measure(url: str, requests: int) -> dict:
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-" + "x" * 30,
            "CLOCK": FixedClock(NOW),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": tempfile.mkdtemp(),
        }
    )
    client = app.test_client()
    assert client.post("/login", data={"email": "eng1@bench.example.com", "password": PASSWORD}).status_code == 302
    for _ in range(3):  # warm-up: imports, template compilation, connection pool
        assert client.get("/cases/").status_code == 200
    times, cpu = [], []
    for _ in range(requests):
        t, c = time.perf_counter(), time.process_time()
        response = client.get("/cases/")
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200
    body = response.get_data(as_text=True)
    statements: list[str] = []
    db = registry_of(app).db
    engines = {id(e): e for e in (db.engine, db.write_engine)}.values()

    started: list[float] = []
    durations: list[tuple[float, str]] = []

    def count(*args) -> None:
        statements.append(args[2])
        started.append(time.perf_counter())

    def timed(*args) -> None:
        durations.append(((time.perf_counter() - started[-1]) * 1000, " ".join(args[2].split())[:90]))

    counts = {}
    for label, path in (("default", "/cases/"), ("breached", "/cases/?breached=1"), ("page 3", "/cases/?page=3")):
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
            event.listen(engine, "after_cursor_execute", timed)
        statements.clear()
        assert client.get(path).status_code == 200
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
            event.remove(engine, "after_cursor_execute", timed)
        counts[label] = len(statements)
    db.dispose()
    return {
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times),
        "cpu_p50": percentile(cpu, 50),
        "cpu_p95": percentile(cpu, 95),
        "rows": body.count('<tr class="sla-'),
        "breached_rows": body.count('<span class="tag danger">breached</span>'),
        "counts": counts,
        "slowest": sorted(durations, reverse=True)[:3],  # over the three pages counted
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--open-cases", type=int, default=50_000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the request log line of every request: not what is measured
    log(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            results = {}
            for size in (1_000, args.open_cases):
                url = database_for(kind, Path(tmp), size)
                engine = make_engine(url)
                upgrade(engine)
                load(engine, size, args.orgs)
                engine.dispose()
                result = results[size] = measure(url, args.requests)
                result["load"] = os.getloadavg()[0]
                log(
                    f"{kind}, {size} open cases: GET /cases/ (most urgent first, {result['rows']} rows, "
                    f"{result['breached_rows']} breached on the page) {args.requests} requests: "
                    f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, max {result['max']:.1f} ms "
                    f"(this process's CPU: p50 {result['cpu_p50']:.1f} ms, p95 {result['cpu_p95']:.1f} ms); "
                    f"SQL statements per page: {result['counts']} (load average {result['load']:.1f})"
                )
                for ms, sql in result["slowest"]:
                    log(f"    slowest statement: {ms:6.1f} ms  {sql}")
            small, large = results[1_000]["counts"], results[args.open_cases]["counts"]
            log(f"{kind}: statements per page equal at 1,000 and {args.open_cases}: {small == large}")
            if kind == "postgresql":
                drop_database(PG_DB)


if __name__ == "__main__":
    main()
