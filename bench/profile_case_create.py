"""In-process profile of ``POST /api/v1/cases`` (the path bench/api_bench.py loads).

Command (from the repository root)::

    .venv/bin/python bench/profile_case_create.py [--db sqlite|postgresql|both] [--requests 300]
        [--rounds 3] [--warmup 20] [--breakdown] [--sql] [--no-profile] [--top 40] [--tottime N]
        [--callers PATTERN] [--callees PATTERN]

e.g. ``--db both --breakdown --sql --no-profile`` for the figures the issue quotes.

What it does, per database (SQLite: a file in a temp dir; PostgreSQL: its own
database ``casemgr_profile_api`` on 127.0.0.1:5432, dropped and re-created):

* builds the app with ``create_app()`` and loads the demo data exactly as
  ``casemgr demo`` does (migrations, ``seed_demo``, then the optional areas'
  demo seeders), then creates a personal access token for the customer admin
  ``ana.admin@northwind.example.com`` -- the same set-up as bench/api_bench.py;
* sends ``--warmup`` then ``--requests`` ``POST /api/v1/cases`` through the Flask
  test client with ``Authorization: Bearer <token>``, cycling over Northwind's
  asset serials (as the load generator of api_bench does), and checks every
  answer is a 201;
* reports wall milliseconds per request (``--rounds`` timed batches of
  ``--requests``, without the profiler: best and median batch), the SQL
  statements per request (``before_cursor_execute`` on both of the app's
  engines: the read engine and the SQLite write engine); ``--breakdown`` adds
  the wall time per step (token auth, asset and contract look-ups, numbering,
  each event listener -- escalation's, webhooks' --, commit, the response and
  its extras), measured by wrapping those functions for one more batch; and,
  unless ``--no-profile``, a cProfile run over one more batch sorted by
  cumulative time (``--top`` rows; its times are inflated by the profiler).
  ``--sql`` also prints the statements of one request, in order, abridged
  (to 160 characters; ``SQL_WIDTH=N`` in the environment for more);
  ``--tottime N`` adds the N functions with the most own time, ``--callers
  PATTERN`` / ``--callees PATTERN`` who calls / what is called by the functions
  matching PATTERN (a pstats regex).

This prints figures; it is not a test and asserts nothing but the 201s.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import event, text  # noqa: E402

from bench.pg import drop_database, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.registry import registry_of

USER = "ana.admin@northwind.example.com"


def build(url: str, workdir: Path):
    """The app on demo data (as ``casemgr demo``) and a bearer token (as ``casemgr token create``)."""
    app = create_app({"INSTANCE_PATH": str(workdir / "instance"), "DATABASE_URL": url})
    runner = app.test_cli_runner()
    demo = runner.invoke(args=["demo"])
    assert demo.exit_code == 0 and "customer_admin" in demo.output, demo.output
    token = runner.invoke(args=["token", "create", "--user", USER])
    assert token.exit_code == 0, token.output
    db = registry_of(app).db
    with db.engine.connect() as conn:
        serials = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT serial FROM asset JOIN organization o ON o.id = asset.organization_id "
                    "WHERE o.name = 'Northwind Logistics' ORDER BY serial"
                )
            )
        ]
    return app, token.output.strip(), serials


class SqlCounter:
    def __init__(self, engines) -> None:
        self.statements: list[str] = []
        for engine in {id(e): e for e in engines}.values():
            event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        self.statements.append(" ".join(statement.split()))


def post_cases(client, token: str, serials: list[str], count: int, start: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for n in range(start, start + count):
        body = {
            "asset_serial": serials[n % len(serials)],
            "severity": 3,
            "subject": f"profile {n}",
            "description": "Benchmark load",
        }
        response = client.post("/api/v1/cases", data=json.dumps(body), headers=headers, content_type="application/json")
        assert response.status_code == 201, (response.status_code, response.get_data(as_text=True))


class Breakdown:
    """Wall time spent in the named steps of a request (inclusive; steps may nest)."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = {}
        self._undo: list = []

    def wrap(self, label: str, func):
        totals = self.totals.setdefault(label, [0.0, 0])

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                totals[0] += time.perf_counter() - started
                totals[1] += 1

        return timed

    def patch(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # not on this version of the code path
            return
        setattr(owner, name, self.wrap(label, original))
        self._undo.append(lambda: setattr(owner, name, original))

    def _wrap_list(self, items: list, label) -> None:
        original = list(items)
        items[:] = [self.wrap(label(f), f) for f in original]
        self._undo.append(lambda: items.__setitem__(slice(None), original))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def install(self, app) -> None:
        """Time the steps of the case-creation path, the core's and the listeners'."""
        from sqlalchemy.orm import Session

        import casemgr.api.auth as api_auth
        import casemgr.api.cases as api_cases
        import casemgr.cases.opening as case_opening

        self.patch(api_auth, "user_for_token", "token -> user")
        self.patch(api_auth, "find_token", "token + user lookup (auth)")
        self.patch(case_opening, "open_case", "open_case (whole service, incl. listeners + commit)")
        self.patch(case_opening, "_asset_and_contract", "  asset + active contract")
        self.patch(case_opening.policy, "get_asset_for", "  asset lookup")
        self.patch(case_opening, "active_contract_for", "  active contract")
        self.patch(case_opening, "next_value", "  case number")
        self.patch(case_opening, "insert_one", "  case INSERT (insert().returning(), attached as loaded)")
        self.patch(Session, "commit", "  commit (flush + COMMIT; auth's rare one too)")
        self.patch(api_cases, "represent", "represent (response dict, incl. extras)")
        bus = registry_of(app).events
        for event_type, listeners in bus._listeners.items():
            self._wrap_list(
                listeners,
                lambda f, t=event_type: (
                    f"  listener {t.__name__}: {getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', f)}"
                ),
            )
        self._wrap_list(
            registry_of(app).case_api_extras,
            lambda f: f"  api extra {getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', f)}",
        )

    def report(self, requests: int) -> None:
        print("-- wall ms per request, by step (inclusive) --")
        for label, (total, calls) in self.totals.items():
            if calls:
                print(f"{total / requests * 1000:8.3f} ms  {calls / requests:4.1f} calls  {label}")


def timed_rounds(client, token: str, serials: list[str], args, start: int, counter: SqlCounter):
    """Best and median ms/request over ``--rounds`` batches, and the statements sent."""
    per_round, statements = [], 0
    for r in range(args.rounds):
        counter.statements.clear()
        started = time.perf_counter()
        post_cases(client, token, serials, args.requests, start + r * args.requests)
        per_round.append((time.perf_counter() - started) / args.requests * 1000)
        statements += len(counter.statements)
    return per_round, statements / (args.rounds * args.requests), start + args.rounds * args.requests


def run(db: str, args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"casemgr-profile-{db}-"))
    try:
        url = f"sqlite:///{workdir / 'casemgr.sqlite3'}" if db == "sqlite" else fresh_database("casemgr_profile_api")
        app, token, serials = build(url, workdir)
        database = registry_of(app).db
        counter = SqlCounter([f.kw["bind"] for f in (database.session_factory, database.write_session_factory)])
        client = app.test_client()
        post_cases(client, token, serials, args.warmup, 0)
        n = args.warmup

        counter.statements.clear()
        post_cases(client, token, serials, 1, n)
        n += 1
        one = list(counter.statements)
        kinds = Counter(s.split(" ", 1)[0].upper() for s in one)

        per_round, per_request, n = timed_rounds(client, token, serials, args, n, counter)
        print(
            f"\n== {db}: {args.rounds} x {args.requests} POST /api/v1/cases (test client, "
            f"after {args.warmup} warm-up) =="
        )
        print(
            f"{min(per_round):.2f} ms/request best round, {statistics.median(per_round):.2f} median   "
            f"{per_request:.1f} SQL statements/request   " + "  ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        )
        if args.sql:
            print("-- statements of one request --")
            for i, stmt in enumerate(one, 1):
                print(f"{i:>3}. {stmt[: int(os.environ.get('SQL_WIDTH', 160))]}")
        if args.breakdown:
            breakdown = Breakdown()
            breakdown.install(app)
            post_cases(client, token, serials, args.requests, n)
            n += args.requests
            breakdown.uninstall()
            breakdown.report(args.requests)
        if not args.no_profile:
            profiler = cProfile.Profile()
            profiler.enable()
            post_cases(client, token, serials, args.requests, n)
            profiler.disable()
            print(f"-- cProfile over {args.requests} requests, by cumulative time --")
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("cumulative").print_stats(args.top)
            if args.tottime:
                print("-- the same, by own time --")
                stats.sort_stats("tottime").print_stats(args.tottime)
            if args.callees:
                print(f"-- callees of {args.callees} --")
                stats.sort_stats("cumulative").print_callees(args.callees)
            if args.callers:
                print(f"-- callers of {args.callers} --")
                stats.sort_stats("cumulative").print_callers(args.callers)
        database.dispose()
    finally:
        if db == "postgresql":
            drop_database("casemgr_profile_api")
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="timed batches of --requests (best and median)")
    parser.add_argument("--breakdown", action="store_true", help="wall time per step of the request")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--tottime", type=int, default=0, help="also list this many functions by own time")
    parser.add_argument("--callers", help="also list the callers of the functions matching this pattern")
    parser.add_argument("--callees", help="also list what the functions matching this pattern call")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request")
    parser.add_argument("--no-profile", action="store_true", help="timings and SQL counts only")
    args = parser.parse_args()
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(db, args)


if __name__ == "__main__":
    main()
