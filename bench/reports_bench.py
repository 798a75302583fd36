"""Benchmark: the account manager's home page and the account review PDF at scale.

Command (from the repository root)::

    .venv/bin/python bench/reports_bench.py --db both --cases 1000000 --open 50000 --orgs 500

What it builds, per database (SQLite: a file in a temp dir; PostgreSQL: its own
database ``casemgr_reports_bench`` on 127.0.0.1:5432, dropped and re-created):
a fresh schema (Alembic), ``--orgs`` partners with 4 assets each, ``--cases``
cases bulk-loaded with Core ``insert()`` (``--open`` of them open, spread evenly
over the partners, with SLA due times around "now" so that every SLA state
occurs), one "opened" timeline event per open case, plus an account manager
assigned to ``--partners`` partners. Partner #1 gets ``--pdf-cases`` cases in the
review period (a quarter) with first responses, resolutions, breaches, events,
commitments, ratings and RMAs; the rest of the cases spread over three years.
``ANALYZE`` runs after the load (as autovacuum / a DBA would).

What it measures: ``GET /accounts/`` (the manager's home page: every open case of
25 partners classified, ordered, first page rendered) ``--requests`` times
through the Flask test client, p50 and p95; then ``GET
/accounts/partners/<#1>/review.pdf`` for the period, 3 times, each and median.

Targets (issue 6): home page p95 < 100 ms; account review PDF < 5 s.
This is a benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import insert, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.pg import fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.assets.models import Asset, Component, Part, Product  # noqa: E402
from casemgr.auth.models import User  # noqa: E402
from casemgr.cases.models import Case, CaseEvent, Commitment  # noqa: E402
from casemgr.clock import FixedClock  # noqa: E402
from casemgr.db import make_engine  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.organizations.models import AccountAssignment, Organization, Site  # noqa: E402
from casemgr.registry import registry_of
from reports.models import CaseRating  # noqa: E402

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
PERIOD = (date(2026, 8, 1), date(2026, 10, 31))
PG_DB = "casemgr_reports_bench"
PASSWORD = "bench horse battery"
START = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - START:7.1f}s] {msg}", flush=True)


def database_for(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'reports-bench.sqlite3'}"
    return fresh_database(PG_DB)


def load(engine, args) -> dict:
    rng = random.Random(6)
    with engine.begin() as conn:

        def bulk(model, rows: list[dict], batch: int = 20_000) -> None:
            for i in range(0, len(rows), batch):
                conn.execute(insert(model), rows[i : i + batch])

        bulk(
            Organization,
            [{"id": 1, "name": "Vendor", "is_vendor": True, "created_at": NOW}]
            + [
                {"id": o + 1, "name": f"Partner {o:03d}", "is_vendor": False, "created_at": NOW}
                for o in range(1, args.orgs + 1)
            ],
        )
        bulk(
            Site,
            [
                {"id": o, "organization_id": o, "name": f"DC {o}", "timezone": "UTC", "address": ""}
                for o in range(2, args.orgs + 2)
            ],
        )
        conn.execute(
            insert(Part),
            [{"id": 1, "part_number": "DRV-1", "description": "4 TB drive", "kind": "drive", "data_bearing": True}],
        )
        conn.execute(insert(Product), [{"id": 1, "model": "SA-1", "product_line": "StorArray"}])
        assets = [
            {
                "id": (o - 2) * 4 + k + 1,
                "serial": f"P{o:03d}-A{k}",
                "product_id": 1,
                "organization_id": o,
                "site_id": o,
                "created_at": NOW,
            }
            for o in range(2, args.orgs + 2)
            for k in range(4)
        ]
        bulk(Asset, assets)
        bulk(
            Component,
            [
                {
                    "id": a["id"],
                    "asset_id": a["id"],
                    "slot": "bay 1",
                    "part_id": 1,
                    "serial": a["serial"] + "-D1",
                    "state": "active",
                    "installed_at": NOW,
                }
                for a in assets
            ],
        )
        pw = generate_password_hash(PASSWORD)
        conn.execute(
            insert(User),
            [
                {
                    "id": 1,
                    "email": "am@bench.example.com",
                    "name": "Bench Account",
                    "role": "account_manager",
                    "organization_id": 1,
                    "created_at": NOW,
                    "password_hash": pw,
                },
                {
                    "id": 2,
                    "email": "eng@bench.example.com",
                    "name": "Bench Engineer",
                    "role": "support_engineer",
                    "organization_id": 1,
                    "created_at": NOW,
                    "password_hash": pw,
                },
                {
                    "id": 3,
                    "email": "cust@bench.example.com",
                    "name": "Bench Customer",
                    "role": "customer_admin",
                    "organization_id": 2,
                    "created_at": NOW,
                    "password_hash": pw,
                },
            ],
        )
        conn.execute(
            insert(AccountAssignment),
            [{"account_manager_id": 1, "organization_id": o} for o in range(2, 2 + args.partners)],
        )
        log(f"reference data: {args.orgs} partners, {len(assets)} assets")

        pdf_org, period_start = 2, datetime.combine(PERIOD[0], datetime.min.time(), UTC)
        period_days = (PERIOD[1] - PERIOD[0]).days + 1
        open_per_org = args.open // args.orgs
        case_id = event_id = 0
        cases: list[dict] = []
        events: list[dict] = []
        extras = {"commitments": [], "ratings": [], "rmas": []}

        def flush() -> None:
            bulk(Case, cases)
            bulk(CaseEvent, events)
            cases.clear()
            events.clear()

        per_org = (args.cases - args.pdf_cases) // args.orgs
        for o in range(2, args.orgs + 2):
            n = per_org + (args.pdf_cases if o == pdf_org else 0)
            for i in range(n):
                case_id += 1
                severity = rng.choices((1, 2, 3, 4), weights=(1, 3, 5, 3))[0]
                is_open = i < open_per_org
                in_period = o == pdf_org and i >= open_per_org and i < open_per_org + args.pdf_cases
                if is_open:
                    created = NOW - timedelta(minutes=rng.randint(5, 60 * 24 * 10))
                elif in_period:
                    created = period_start + timedelta(minutes=rng.randint(0, period_days * 1440 - 600))
                else:
                    created = NOW - timedelta(days=95 + rng.randint(0, 3 * 365))
                target = timedelta(minutes={1: 30, 2: 60, 3: 240, 4: 480}[severity])
                first = created + target * rng.uniform(0.1, 1.3)
                done = None if is_open else created + target * rng.uniform(2, 12)
                answered = not is_open or rng.random() < 0.6
                row = {
                    "id": case_id,
                    "number": f"CS-{case_id:07d}",
                    "organization_id": o,
                    "asset_id": (o - 2) * 4 + rng.randint(1, 4),
                    "entitled": True,
                    "severity": severity,
                    "status": rng.choice(("new", "in_progress", "waiting_vendor")) if is_open else "closed",
                    "subject": f"Bench case {case_id}",
                    "description": "-",
                    "channel": "portal",
                    "owner_id": 2,
                    "queue": "L1",
                    "escalation_level": 0,
                    "created_at": created,
                    "updated_at": done or created,
                    "first_response_due_at": created + target,
                    "first_response_at": first if answered else None,
                    "first_response_breached": answered and first > created + target,
                    "next_update_due_at": (first + 2 * target) if is_open and answered else None,
                    "next_update_breaches": 0,
                    "resolution_due_at": created + 8 * target,
                    "resolution_breached": done is not None and done > created + 8 * target,
                    "resolved_at": done,
                    "closed_at": done,
                    "version": 1,
                }
                cases.append(row)
                if is_open or in_period:
                    event_id += 1
                    events.append(
                        {
                            "id": event_id,
                            "case_id": case_id,
                            "kind": "opened",
                            "public": True,
                            "body": "-",
                            "data": {},
                            "created_at": created,
                        }
                    )
                if in_period:
                    event_id += 1
                    events.append(
                        {
                            "id": event_id,
                            "case_id": case_id,
                            "kind": "comment",
                            "public": True,
                            "body": "update",
                            "data": {},
                            "created_at": first,
                        }
                    )
                    if rng.random() < 0.1:
                        extras["commitments"].append(
                            {
                                "case_id": case_id,
                                "description": "Call back",
                                "recipient": "Ops",
                                "owner_id": 2,
                                "due_at": first + target,
                                "status": "kept",
                                "kept_at": first + target * rng.uniform(0.5, 1.5),
                                "created_by_id": 2,
                                "created_at": first,
                            }
                        )
                    if rng.random() < 0.5:
                        extras["ratings"].append(
                            {
                                "case_id": case_id,
                                "organization_id": o,
                                "rating": rng.randint(1, 5),
                                "comment": "fine" if rng.random() < 0.3 else "",
                                "created_at": done,
                                "rated_by_id": 3,
                            }
                        )
                    if rng.random() < 0.05:
                        extras["rmas"].append((case_id, row["asset_id"], created))
                if len(cases) >= 50_000:
                    flush()
            if o % 100 == 0:
                log(f"  {case_id} cases")
        flush()
        bulk(Commitment, extras["commitments"])
        bulk(CaseRating, extras["ratings"])
        rma_rows = 0
        if extras["rmas"]:
            from rma.models import Rma

            bulk(
                Rma,
                [
                    {
                        "number": f"RMA-{i:07d}",
                        "case_id": cid,
                        "organization_id": pdf_org,
                        "asset_id": aid,
                        "failed_component_id": aid,
                        "replacement_part_id": 1,
                        "kind": "advance_replacement",
                        "state": "closed",
                        "disposition": "retained" if i % 4 == 0 else "return",
                        "created_at": at,
                        "updated_at": at,
                        "installed_at": at + timedelta(days=rng.uniform(0.5, 3)),
                        "retained_at": at + timedelta(days=4) if i % 4 == 0 else None,
                    }
                    for i, (cid, aid, at) in enumerate(extras["rmas"], 1)
                ],
            )
            rma_rows = len(extras["rmas"])
        log(
            f"loaded {case_id} cases ({open_per_org * args.orgs} open), {event_id} events, "
            f"{len(extras['ratings'])} ratings, {rma_rows} RMAs"
        )
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("ANALYZE"))
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('support_case', 'id'), (SELECT max(id) FROM support_case))")
            )
    log("ANALYZE done")
    return {"pdf_org": pdf_org}


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(int(round(p / 100 * (len(values) - 1))), len(values) - 1)]


def measure(url: str, args, info: dict) -> None:
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
    assert client.post("/login", data={"email": "am@bench.example.com", "password": PASSWORD}).status_code == 302
    for _ in range(3):  # warm-up: imports, template compilation, connection pool
        assert client.get("/accounts/").status_code == 200
    times = []
    for _ in range(args.requests):
        t = time.perf_counter()
        response = client.get("/accounts/")
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    body = response.get_data(as_text=True)
    shown = body.count('<tr class="sla-')
    total = body.split("Page 1 of ")[1].split("(")[1].split(")")[0] if "Page 1 of " in body else "?"
    log(
        f"home page /accounts/ ({args.partners} partners, {total}): {args.requests} requests, "
        f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms "
        f"({shown} rows on the page)"
    )
    pdf_url = f"/accounts/partners/{info['pdf_org']}/review.pdf?from={PERIOD[0]}&to={PERIOD[1]}"
    pdf_times = []
    for _ in range(3):
        t = time.perf_counter()
        response = client.get(pdf_url)
        pdf_times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    log(
        f"account review PDF ({args.pdf_cases} cases in {PERIOD[0]}..{PERIOD[1]}): "
        + ", ".join(f"{t:.2f} s" for t in pdf_times)
        + f"; median {statistics.median(pdf_times):.2f} s, "
        f"{len(response.data) // 1024} KB"
    )
    registry_of(app).db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--orgs", type=int, default=500)
    parser.add_argument("--partners", type=int, default=25)
    parser.add_argument("--pdf-cases", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            log(f"=== {kind}: {args.cases} cases, {args.open} open, {args.orgs} partners")
            url = database_for(kind, Path(tmp))
            engine = make_engine(url)
            upgrade(engine)
            info = load(engine, args)
            engine.dispose()
            measure(url, args, info)


if __name__ == "__main__":
    main()
