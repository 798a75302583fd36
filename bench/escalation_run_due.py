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
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import event, text  # noqa: E402

from bench.escalation_run_due_data import NOW, load  # noqa: E402
from bench.pg import drop_database, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.registry import registry_of
from escalation.defaults import seed_default_ladders  # noqa: E402
from escalation.services import Settings, run_due  # noqa: E402

PG_DB = "casemgr_bench"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def database_for(kind: str, tmp: Path, n: int) -> str:
    """A new, empty database per (kind, size): no state carried between runs."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'bench-{n}.sqlite3'}"
    return fresh_database(PG_DB)


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
