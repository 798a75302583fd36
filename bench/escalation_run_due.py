"""Benchmark: one escalation runner pass (``escalation.services.run_due``) at scale.

Command (from the repository root)::

    .venv/bin/python bench/escalation_run_due.py --db both --sizes 10000,100000 --due 1000 [--steps-due 3]

What it measures, per database (SQLite: a file in a temp dir; PostgreSQL: its own
database ``casemgr_bench`` on 127.0.0.1:5432, dropped and re-created) and per size N:

* fresh schema (Alembic), default ladders, then N open cases bulk-loaded with Core
  ``insert()``; ``--due`` of them are severity 1 and never acknowledged, so
  steps of the default critical ladder's "not acknowledged" branch (30/60/90
  min on a 60 min first-response target, 24x7) are due: their
  ``escalation_schedule.next_check_at`` is in the past. By default (``--steps-due
  1``, the steady state of a runner ticking every minute) they were opened
  31-58 min ago and only the first step is due; with ``--steps-due 3`` (a runner
  coming back after an outage) 2-3 h ago, and all three are due at once. Half
  of them have an owner, like the other cases. The other cases are checked
  tomorrow, so a pass must not touch them;
* one ``run_due`` pass at a fixed ``now``: wall time, steps fired, SQL statements
  sent (``before_cursor_execute`` on the runner's engine; PostgreSQL's COPY, used
  for the bulk inserts, goes round it and is not counted) per fired step, and the
  notification rows written (the vendor has ``--engineers`` support engineers, half
  on L1, 30% on L2, the rest on L3, 3 support managers and 2 account managers: a
  "move_tier" step pages the engineers of that tier, a reminder on an unowned case
  the engineers of its queue, in-app and by e-mail);
* a second pass over the same data, which should fire nothing and be near-instant.

Target (issue): the pass costs in proportion to the due cases, not to N: the
100k pass within 1.5x of the 10k pass, and under 1 s. To see where the time goes:
``--sql`` counts and times each kind of statement (cheap), ``--profile`` runs
cProfile over each first pass (its time is then inflated by the profiler), e.g.

    .venv/bin/python bench/escalation_run_due.py --db postgresql --sizes 10000 --sql --profile

This is a benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import event, insert, text  # noqa: E402

from bench.pg import drop_database, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.assets.models import Asset, Product  # noqa: E402
from casemgr.auth.models import User  # noqa: E402
from casemgr.cases.models import Case, CaseEvent  # noqa: E402
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.organizations.models import AccountAssignment, Organization, Site  # noqa: E402
from casemgr.registry import registry_of
from escalation.defaults import seed_default_ladders  # noqa: E402
from escalation.models import EscalationSchedule  # noqa: E402
from escalation.services import Settings, run_due  # noqa: E402

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # fixed: results never depend on the wall clock
PG_DB = "casemgr_bench"
CHUNK = 5000  # rows per executemany: bounded memory, few round trips
PARTNERS = 5
CASES_PER_ASSET = 20
TARGETS = {
    "1": {"first_response": 60, "next_update": 120, "resolution": 480},
    "2": {"first_response": 120, "next_update": 240, "resolution": 1440},
    "3": {"first_response": 240, "next_update": 480, "resolution": 2880},
    "4": {"first_response": 480, "next_update": 1440, "resolution": 7200},
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def database_for(kind: str, tmp: Path, n: int) -> str:
    """A new, empty database per (kind, size): no state carried between runs."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'bench-{n}.sqlite3'}"
    return fresh_database(PG_DB)


def load(engine, n: int, due: int, engineers: int, steps_due: int) -> None:
    """Bulk-load reference data and n open cases (1 'opened' event and 1 schedule row each)."""
    rng = random.Random(42)
    old = NOW - timedelta(days=400)
    with engine.begin() as conn:

        def bulk(model, rows: list[dict]) -> None:
            for i in range(0, len(rows), CHUNK):
                conn.execute(insert(model.__table__), rows[i : i + CHUNK])

        bulk(
            Organization,
            [{"id": 1, "name": "Vendor", "is_vendor": True, "created_at": old}]
            + [
                {"id": 1 + p, "name": f"Partner {p}", "is_vendor": False, "created_at": old}
                for p in range(1, PARTNERS + 1)
            ],
        )
        bulk(
            Site,
            [
                {"id": p, "organization_id": 1 + p, "name": "HQ", "timezone": "Europe/Paris"}
                for p in range(1, PARTNERS + 1)
            ],
        )
        # Who the fired steps notify: owners/engineers, managers, account managers.
        staff = (
            [("support_engineer", i) for i in range(engineers)]
            + [("support_manager", i) for i in range(3)]
            + [("account_manager", i) for i in range(2)]
        )

        def tier(role: str, i: int) -> str | None:  # half the engineers on L1, 30% on L2, the rest on L3
            return (
                None
                if role != "support_engineer"
                else "L1"
                if i < engineers * 0.5
                else "L2"
                if i < engineers * 0.8
                else "L3"
            )

        bulk(
            User,
            [
                {
                    "id": uid,
                    "email": f"{role}{i}@vendor.invalid",
                    "name": f"{role} {i}",
                    "password_hash": "x",
                    "role": role,
                    "organization_id": 1,
                    "region": None,
                    "tier": tier(role, i),
                    "is_active": True,
                    "created_at": old,
                }
                for uid, (role, i) in enumerate(staff, start=1)
            ],
        )
        account_managers = [uid for uid, (role, _) in enumerate(staff, start=1) if role == "account_manager"]
        bulk(
            AccountAssignment,
            [
                {"id": p, "account_manager_id": account_managers[p % 2], "organization_id": 1 + p}
                for p in range(1, PARTNERS + 1)
            ],
        )
        bulk(Product, [{"id": 1, "model": "X-1000", "product_line": "Storage", "end_of_support_on": None}])
        bulk(
            BusinessCalendar,
            [{"id": 1, "name": "24x7", "always": True, "timezone": None, "weekly_hours": {}, "holidays": []}],
        )
        # The fallback plan code: cases without a contract are timed on it too.
        bulk(
            SupportPlan,
            [
                {
                    "id": 1,
                    "code": "STD-8x5-NBD",
                    "name": "Standard",
                    "description": "",
                    "calendar_id": 1,
                    "targets": TARGETS,
                }
            ],
        )
        bulk(
            Contract,
            [
                {
                    "id": 1,
                    "number": "C-0001",
                    "organization_id": 2,
                    "plan_id": 1,
                    "starts_on": date(2026, 1, 1),
                    "ends_on": date(2027, 12, 31),
                }
            ],
        )
        n_assets = max(n // CASES_PER_ASSET, 1)
        bulk(
            Asset,
            [
                {
                    "id": a,
                    "serial": f"SN{a:08d}",
                    "product_id": 1,
                    "organization_id": 2 + a % PARTNERS,
                    "site_id": 1 + a % PARTNERS,
                    "created_at": old,
                }
                for a in range(1, n_assets + 1)
            ],
        )

        every = n // due  # due cases spread evenly over the id range, not clustered at the start
        for start in range(1, n + 1, CHUNK):
            cases, events, schedules = [], [], []
            for cid in range(start, min(start + CHUNK, n + 1)):
                asset = 1 + cid % n_assets
                org = 2 + asset % PARTNERS
                owned = cid % 2 == 1  # half the cases have an owner
                if cid % every == 0 and cid // every <= due:
                    # Never answered; the first check was at +30 min. Opened 2-3 h ago: the 3 ack
                    # steps are due; 31-58 min ago: only the first. Half owned, like the rest (their
                    # ids are multiples of `every`, so parity alone would leave them all unowned).
                    age = 120 + cid % 60 if steps_due == 3 else 31 + cid % 28
                    sev, status, created = 1, "new", NOW - timedelta(minutes=age)
                    responded, next_check = None, created + timedelta(minutes=30)
                    owned = (cid // every) % 2 == 1
                else:
                    sev, status = rng.choice((1, 2, 3, 3, 4, 4)), rng.choice(("new", "in_progress"))
                    created = NOW - timedelta(minutes=rng.randrange(5, 7 * 24 * 60))
                    responded = created + timedelta(minutes=10) if status == "in_progress" else None
                    next_check = NOW + timedelta(days=1)
                cases.append(
                    {
                        "id": cid,
                        "number": f"CS-{cid:06d}",
                        "organization_id": org,
                        "asset_id": asset,
                        "contract_id": 1 if org == 2 else None,
                        "entitled": org == 2,
                        "severity": sev,
                        "status": status,
                        "subject": f"Array {asset} degraded",
                        "description": "Bench case.",
                        "channel": "portal",
                        "owner_id": 1 + cid % engineers if owned else None,
                        "created_at": created,
                        "updated_at": responded or created,
                        "first_response_at": responded,
                        "last_vendor_update_at": responded,
                    }
                )
                events.append(
                    {
                        "case_id": cid,
                        "kind": "opened",
                        "actor_id": None,
                        "public": True,
                        "body": "Case opened.",
                        "data": {},
                        "created_at": created,
                    }
                )
                schedules.append({"case_id": cid, "next_check_at": next_check, "updated_at": created})
            bulk(Case, cases)
            bulk(CaseEvent, events)
            bulk(EscalationSchedule, schedules)

        if engine.dialect.name == "postgresql":
            # Explicit ids were inserted: move the sequences past them, as a real database would be.
            for table in (
                "organization",
                "site",
                "user",
                "account_assignment",
                "product",
                "business_calendar",
                "support_plan",
                "contract",
                "asset",
                "support_case",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
                    )
                )
    if engine.dialect.name == "postgresql":
        # Settle the load before timing, as a running database would be: planner statistics
        # and the visibility map (what autovacuum would do, instead of doing it during the
        # pass), and the load's dirty pages written out (a checkpoint).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))


class SqlCounter:
    """Counts statements on one engine; with ``detail``, also count and time each kind."""

    def __init__(self, engine, detail: bool) -> None:
        self.count, self.detail = 0, detail
        self.by_sql: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._before)
        if detail:
            event.listen(engine, "after_cursor_execute", self._after)

    @staticmethod
    def _key(statement: str) -> str:
        # Head and tail name the statement; no regex: batched INSERTs are long.
        flat = " ".join(statement[:90].split())
        return flat if len(statement) <= 90 else f"{flat} ... {' '.join(statement[-45:].split())}"

    def _before(self, _conn, _cursor, statement, _params, context, _executemany) -> None:
        self.count += 1
        if self.detail:
            context._bench_t0 = time.perf_counter()

    def _after(self, _conn, _cursor, statement, _params, context, _executemany) -> None:
        key = self._key(statement)
        self.by_sql[key] += 1
        self.seconds[key] += time.perf_counter() - context._bench_t0

    def reset(self) -> None:
        self.count = 0
        self.by_sql.clear()
        self.seconds.clear()

    def report(self, title: str, elapsed: float) -> None:
        total = sum(self.seconds.values())
        print(
            f"\n=== SQL: {title}: {self.count:,} statements, {total:.2f} s of {elapsed:.2f} s inside "
            f"cursor.execute (driver + server) ==="
        )
        for key, secs in self.seconds.most_common(15):
            print(f"{self.by_sql[key]:7,}x {secs:7.2f} s  {key}")


def bench_one(kind: str, n: int, due: int, tmp: Path, opts: argparse.Namespace) -> dict:
    url = database_for(kind, tmp, n)
    app = create_app({"INSTANCE_PATH": str(tmp / "instance"), "DATABASE_URL": url, "SECRET_KEY": "bench"})
    db = registry_of(app).db
    try:
        t0 = time.perf_counter()
        upgrade(db.engine)
        with db.session_factory() as session:
            seed_default_ladders(session)
        load(db.engine, n, due, opts.engineers, opts.steps_due)
        log(f"[{kind}] generated {n:,} open cases ({due:,} due) in {time.perf_counter() - t0:.1f} s")

        factory, settings = db.write_session_factory, Settings()
        counter = SqlCounter(factory.kw["bind"], detail=opts.sql)  # the engine the runner really uses
        profiler = cProfile.Profile() if opts.profile else None
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        stats = run_due(factory, NOW, settings)
        if profiler:
            profiler.disable()
        elapsed, statements = time.perf_counter() - t0, counter.count
        title = f"{kind}, {n:,} open cases"
        if profiler:
            print(f"\n=== cProfile: {title} (pass {elapsed:.2f} s, inflated by the profiler) ===")
            for order, limit in (("cumulative", 30), ("tottime", 15)):
                pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(limit)
        if opts.sql:
            counter.report(title, elapsed)

        counter.reset()  # second pass: same now, everything just rescheduled into the future
        t1 = time.perf_counter()
        again = run_due(factory, NOW, settings)
        again_time, again_statements = time.perf_counter() - t1, counter.count
        log(f"[{kind}] {n:,}: pass {elapsed:.3f} s, {stats.fired:,} fired; second pass {again_time:.3f} s")
        with db.engine.connect() as conn:  # after timing: how much the fired steps wrote
            notifications = conn.scalar(text("SELECT count(*) FROM notification"))
        return {
            "db": kind,
            "n": n,
            "due": due,
            "cases": stats.cases,
            "fired": stats.fired,
            "failed": len(stats.failed),
            "time": elapsed,
            "statements": statements,
            "notifications": notifications,
            "again_time": again_time,
            "again_fired": again.fired,
            "again_statements": again_statements,
        }
    finally:
        db.dispose()
        if kind == "postgresql":
            drop_database(PG_DB)


def print_table(rows: list[dict]) -> None:
    head = (
        "database",
        "open cases",
        "due cases",
        "cases run",
        "steps fired",
        "failed",
        "pass (s)",
        "SQL stmts",
        "SQL/fired step",
        "notif. rows",
        "2nd pass (s)",
        "2nd fired",
        "2nd SQL",
    )
    lines = [head] + [
        (
            r["db"],
            f"{r['n']:,}",
            f"{r['due']:,}",
            f"{r['cases']:,}",
            f"{r['fired']:,}",
            f"{r['failed']}",
            f"{r['time']:.3f}",
            f"{r['statements']:,}",
            f"{r['statements'] / r['fired']:.1f}" if r["fired"] else "-",
            f"{r['notifications']:,}",
            f"{r['again_time']:.3f}",
            f"{r['again_fired']}",
            f"{r['again_statements']}",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    print()
    for k, line in enumerate(lines):
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for kind in dict.fromkeys(r["db"] for r in rows):
        mine = sorted((r for r in rows if r["db"] == kind), key=lambda r: r["n"])
        if len(mine) < 2:
            continue
        small, big = mine[0], mine[-1]
        ratio = big["time"] / small["time"]
        print(
            f"{kind}: pass time {big['n']:,}/{small['n']:,} = {ratio:.2f}x "
            f"({'OK' if ratio <= 1.5 else 'FAIL'}: target <= 1.5x); "
            f"{big['n']:,} pass {big['time']:.3f} s ({'OK' if big['time'] < 1 else 'FAIL'}: target < 1 s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sizes", default="10000,100000", help="open cases per run, comma-separated")
    parser.add_argument("--due", type=int, default=1000, help="how many of them have a due step")
    parser.add_argument(
        "--steps-due",
        type=int,
        choices=(1, 3),
        default=1,
        help="steps due per due case: 1 = steady state (a runner ticking every minute), 3 = catch-up after an outage",
    )
    parser.add_argument(
        "--engineers",
        type=int,
        default=20,
        help="active support engineers (50%% L1, 30%% L2, 20%% L3): a 'move_tier' step pages a tier",
    )
    parser.add_argument("--sql", action="store_true", help="count and time each kind of SQL statement")
    parser.add_argument("--profile", action="store_true", help="cProfile each first pass")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not 0 < args.due <= min(sizes):
        parser.error("--due must be between 1 and the smallest size")
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    load_before = os.getloadavg()[0]  # other work on this machine skews the figures: say so
    rows = []
    with tempfile.TemporaryDirectory(prefix="casemgr-bench-") as tmp:
        for kind in kinds:
            for n in sizes:
                rows.append(bench_one(kind, n, args.due, Path(tmp), args))
    print(
        f"escalation run_due pass at now={NOW.isoformat()}, {args.steps_due} step(s) due per due case "
        "(fresh data per row; 2nd pass = same data again); "
        f"{args.engineers} support engineers; 1-min load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
