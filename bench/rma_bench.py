"""Benchmark: the RMA authorization PDF and a field engineer's RMA list with 10,000 RMAs.

Command (from the repository root)::

    .venv/bin/python bench/rma_bench.py --db both --rmas 10000 --repeat 20

Per database (SQLite: a file in a temp dir; PostgreSQL: its own database
``casemgr_bench_rma`` on 127.0.0.1:5432, dropped and re-created): fresh schema
(Alembic), then ``--rmas`` RMAs bulk-loaded with Core ``insert()`` over 4 regions,
one case and one failed component each; a quarter are in the field engineer's
region (us-east) and 1 in 50 are assigned to them. Then, after one warm-up each:

* the RMA authorization PDF (``rma.pdf.authorization_pdf``) rendered ``--repeat``
  times: median and max;
* ``GET /rmas/`` (first page, open RMAs) and ``GET /rmas/dispatches`` as the field
  engineer through the test client, ``--repeat`` times: median and max, with the
  number of SQL statements per request.

This is a benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import event, insert  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.pg import fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.assets.models import Asset, Component, Part, Product, product_part  # noqa: E402
from casemgr.auth.models import User  # noqa: E402
from casemgr.cases.models import Case  # noqa: E402
from casemgr.clock import FixedClock  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.organizations.models import Organization, Site  # noqa: E402
from casemgr.registry import registry_of
from rma.models import Rma, Shipment  # noqa: E402

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
PG_DB = "casemgr_bench_rma"
CHUNK = 5000
REGIONS = ("us-east", "us-central", "eu-central", "apac")
ZONES = ("America/New_York", "America/Chicago", "Europe/Berlin", "Asia/Tokyo")
STATES = ("approved", "shipped", "delivered", "dispatched", "on_site", "return_pending", "closed")
PASSWORD = "bench password 123"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def database_for(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench-rma.sqlite3'}"
    return fresh_database(PG_DB)


def load(engine, n: int) -> None:
    old = NOW - timedelta(days=200)
    with engine.begin() as conn:

        def bulk(table, rows: list[dict]) -> None:
            for i in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[i : i + CHUNK])

        bulk(
            Organization.__table__,
            [{"id": 1, "name": "Vendor", "is_vendor": True, "created_at": old}]
            + [{"id": 1 + p, "name": f"Partner {p}", "is_vendor": False, "created_at": old} for p in range(1, 9)],
        )
        bulk(
            Site.__table__,
            [
                {
                    "id": p,
                    "organization_id": 1 + p,
                    "name": "DC",
                    "timezone": ZONES[p % 4],
                    "region": REGIONS[p % 4],
                    "address": f"{p} Data Center Way, Springfield",
                    "contact_name": f"Contact {p}",
                    "contact_phone": "+1 555 0100",
                }
                for p in range(1, 9)
            ],
        )
        bulk(
            User.__table__,
            [
                {
                    "id": 1,
                    "email": "field@vendor.example.com",
                    "name": "Field Engineer",
                    "role": "field_engineer",
                    "organization_id": 1,
                    "region": "us-east",
                    "password_hash": generate_password_hash(PASSWORD),
                    "is_active": True,
                    "created_at": old,
                },
                {
                    "id": 2,
                    "email": "eng@vendor.example.com",
                    "name": "Support Engineer",
                    "role": "support_engineer",
                    "organization_id": 1,
                    "region": None,
                    "password_hash": "x",
                    "is_active": True,
                    "created_at": old,
                },
            ],
        )
        bulk(Product.__table__, [{"id": 1, "model": "SA-4800", "product_line": "StorArray", "end_of_support_on": None}])
        bulk(
            Part.__table__,
            [
                {
                    "id": 1,
                    "part_number": "DRV-4T-7K",
                    "description": "4 TB drive",
                    "kind": "drive",
                    "data_bearing": True,
                    "customer_replaceable": True,
                }
            ],
        )
        bulk(product_part, [{"product_id": 1, "part_id": 1}])
        bulk(
            Asset.__table__,
            [
                {
                    "id": i,
                    "serial": f"SN{i:08d}",
                    "product_id": 1,
                    "organization_id": 2 + i % 8,
                    "site_id": 1 + i % 8,
                    "created_at": old,
                }
                for i in range(1, n + 1)
            ],
        )
        bulk(
            Component.__table__,
            [
                {
                    "id": i,
                    "asset_id": i,
                    "part_id": 1,
                    "slot": "bay 4",
                    "serial": f"D{i:08d}",
                    "state": "failed",
                    "installed_at": old,
                }
                for i in range(1, n + 1)
            ],
        )
        bulk(
            Case.__table__,
            [
                {
                    "id": i,
                    "number": f"CS-{i:06d}",
                    "organization_id": 2 + i % 8,
                    "asset_id": i,
                    "component_id": i,
                    "severity": 2,
                    "status": "in_progress",
                    "subject": f"Bay 4 {i}",
                    "description": "Drive failed",
                    "owner_id": 2,
                    "created_at": NOW - timedelta(hours=i % 500),
                    "updated_at": NOW - timedelta(hours=i % 500),
                }
                for i in range(1, n + 1)
            ],
        )
        bulk(
            Rma.__table__,
            [
                {
                    "id": i,
                    "number": f"RMA-{i:06d}",
                    "case_id": i,
                    "organization_id": 2 + i % 8,
                    "asset_id": i,
                    "failed_component_id": i,
                    "replacement_part_id": 1,
                    "kind": "onsite_dispatch",
                    "state": STATES[i % len(STATES)],
                    "region": REGIONS[(1 + i % 8) % 4],
                    "field_engineer_id": 1 if i % 50 == 0 else None,
                    "created_at": NOW - timedelta(hours=i % 500),
                    "updated_at": NOW - timedelta(minutes=i),
                }
                for i in range(1, n + 1)
            ],
        )
        bulk(
            Shipment.__table__,
            [
                {
                    "rma_id": i,
                    "direction": "out",
                    "carrier": "UPS",
                    "tracking": f"1Z{i:010d}",
                    "shipped_at": NOW - timedelta(days=1),
                }
                for i in range(1, n + 1)
            ],
        )


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), max(samples)


def run(kind: str, n: int, repeat: int, tmp: Path) -> None:
    url = database_for(kind, tmp)
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp / f"instance-{kind}"),
            "DATABASE_URL": url,
            "SECRET_KEY": "b" * 32,
            "CLOCK": FixedClock(NOW),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    engine = registry_of(app).db.engine
    t = time.perf_counter()
    upgrade(engine)
    load(engine, n)
    log(f"[{kind}] schema + {n} RMAs loaded in {time.perf_counter() - t:.1f} s")

    from casemgr.db import new_session
    from rma.pdf import authorization_pdf

    with app.test_request_context(), new_session(app) as session:
        rma = session.get(Rma, 50)
        size = len(authorization_pdf(rma, NOW))
        pdf_med, pdf_max = timed(lambda: authorization_pdf(rma, NOW), repeat)

    client = app.test_client()
    login = client.post("/login", data={"email": "field@vendor.example.com", "password": PASSWORD})
    assert login.status_code == 302, login.get_data(as_text=True)[-1500:]
    statements = [0]
    event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))

    def get(path: str):
        def call():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            response.get_data()

        return call

    results = []
    for path in ("/rmas/", "/rmas/dispatches"):
        statements[0] = 0
        get(path)()
        sql = statements[0]
        med, worst = timed(get(path), repeat)
        results.append((path, med, worst, sql))
    print(
        f"{kind:<10} RMAs={n:<6} authorization PDF ({size / 1024:.1f} KB): median {pdf_med * 1000:.0f} ms, "
        f"max {pdf_max * 1000:.0f} ms"
    )
    for path, med, worst, sql in results:
        print(
            f"{kind:<10} RMAs={n:<6} GET {path:<17} as field engineer: median {med * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms, {sql} SQL statements"
        )
    registry_of(app).db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rmas", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            run(kind, args.rmas, args.repeat, Path(tmp))


if __name__ == "__main__":
    main()
