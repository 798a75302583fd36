"""Benchmark: search at scale -- word queries and exact identifiers (issue 19).

Command (from the repository root)::

    .venv/bin/python bench/search_bench.py --db both --cases 1000000 --events 5000000
    # again on the data already loaded (the schema is first brought to head):
    .venv/bin/python bench/search_bench.py --db postgres --cases 1000000 --events 5000000 --reuse
    .venv/bin/python bench/search_bench.py --db sqlite ... --reuse --sqlite-path /tmp/search-bench-XXXX/bench.sqlite3

What it builds, per database (SQLite: a file in a temp dir; PostgreSQL: its own database
``casemgr_search_bench`` on 127.0.0.1:5432, dropped and re-created): the schema by the
migrations (so the search indexes and triggers are the production ones), ``--orgs``
partners with one customer admin, ``--cases / 10`` assets with one drive each, ``--cases``
cases and ``--events`` timeline entries (one in five internal) whose texts are drawn from
a Zipf-distributed vocabulary (a few words in most texts, most words in few), and one
RMA with a shipment per 100 cases. Rows go in by bulk insert: ``COPY`` on PostgreSQL
(which computes the generated tsvector columns; the GIN indexes are dropped for the load
and built after it, as one does for a bulk load), ``executemany`` on SQLite (the FTS5
triggers index each row as it goes in).
``ANALYZE`` runs after the load.

What it measures, through ``casemgr.search.service`` (what the page and the API call):
``--queries`` word searches (first page: ranked, highlighted, scoped) by a support
engineer (everything) and by a customer admin (their organisation), mixing common,
middling and rare words and two-word queries; and ``--queries`` exact identifier
look-ups (case and RMA numbers in lower case, asset and component serials, tracking
numbers) through ``jump_target``. p50 / p95 / max per kind, and the load times.

Targets (issue 19), at 1,000,000 cases and 5,000,000 events: word query p95 < 100 ms,
exact identifier p95 < 20 ms. This is a benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import text  # noqa: E402

from bench.pg import PG_ADMIN, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.auth.models import User  # noqa: E402
from casemgr.clock import FixedClock  # noqa: E402
from casemgr.db import make_engine, new_session  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.search import service  # noqa: E402
from casemgr.search.text import parse_query  # noqa: E402

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
PG_DB = "casemgr_search_bench"
START = time.perf_counter()
DOMAIN = [
    "drive",
    "controller",
    "firmware",
    "power",
    "supply",
    "fan",
    "array",
    "rebuild",
    "degraded",
    "latency",
    "cache",
    "battery",
    "replication",
    "snapshot",
    "volume",
    "network",
    "port",
    "cable",
    "link",
    "error",
    "timeout",
    "reboot",
    "crash",
    "panic",
    "temperature",
    "alert",
    "upgrade",
    "patch",
    "license",
    "node",
    "cluster",
    "failover",
    "path",
    "multipath",
    "iscsi",
    "fibre",
    "backplane",
    "enclosure",
    "shelf",
    "expander",
    "raid",
    "parity",
    "scrub",
    "checksum",
    "corruption",
]
#: (GIN index, table) of the migrations 0022 and 0026, dropped for the load on PostgreSQL and
#: re-created from their own definitions (the generated ``search_document`` columns are
#: computed by COPY itself, row by row).
PG_INDEXES = (
    ("ix_support_case_search", "support_case"),
    ("ix_case_event_search", "case_event"),
    ("ix_rma_search", "rma"),
)


def log(message: str) -> None:
    print(f"[{time.perf_counter() - START:7.1f}s] {message}", flush=True)


class Words:
    """Texts from a Zipf-like vocabulary: domain words first, then synthetic rare ones."""

    def __init__(self, rng: random.Random, size: int = 20000) -> None:
        self.rng = rng
        syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "do", "gra"]
        rare = {"".join(rng.choice(syllables) for _ in range(rng.randint(3, 4))) for _ in range(size)}
        self.vocabulary = DOMAIN + sorted(rare - set(DOMAIN))
        self.weights = [1.0 / (rank + 1) for rank in range(len(self.vocabulary))]
        self._pool = rng.choices(self.vocabulary, weights=self.weights, k=200_000)
        self._at = 0

    def take(self, n: int) -> str:
        if self._at + n > len(self._pool):
            self._at = 0
            self.rng.shuffle(self._pool)
        words = self._pool[self._at : self._at + n]
        self._at += n
        return " ".join(words)

    def sample_queries(self) -> dict[str, list[str]]:
        v = self.vocabulary
        return {
            "common": v[:10],
            "middling": v[200:260],
            "rare": v[5000:5100],
            "two words": [f"{a} {b}" for a, b in zip(v[:20], v[300:320], strict=True)],
        }


def rows(args, words: Words) -> dict[str, Iterator[tuple]]:
    """Every table's rows as tuples in the column order of :data:`COLUMNS`, ids given."""
    n_orgs, n_assets = args.orgs, max(args.cases // 10, args.orgs)
    n_rmas = max(args.cases // 100, 1)
    rng = random.Random(7)
    t0 = NOW - timedelta(days=900)

    def orgs():
        yield (1, "Vendor", True, t0, 0)
        for o in range(2, n_orgs + 2):
            yield (o, f"Partner {o}", False, t0, 0)

    def sites():
        for o in range(2, n_orgs + 2):
            yield (o, o, f"Site {o}", "", "UTC", "", "", "us-east")

    def users():
        yield (1, "eng@vendor.example.com", "Engineer", "x", "support_engineer", 1, None, "L1", True, t0)
        for o in range(2, n_orgs + 2):
            yield (o, f"admin@p{o}.example.com", f"Admin {o}", "x", "customer_admin", o, None, None, True, t0)

    def assets():
        for a in range(1, n_assets + 1):
            org = 2 + a % n_orgs
            yield (a, f"SN{a:08d}", 1, org, org, t0, False, False)

    def components():
        for a in range(1, n_assets + 1):
            yield (a, a, 1, "bay 1", f"SN{a:08d}-D1", "active", t0, None, "")

    def cases():
        for c in range(1, args.cases + 1):
            asset = 1 + c % n_assets
            org = 2 + asset % n_orgs
            at = t0 + timedelta(minutes=c)
            yield (
                c, f"CS-{c:06d}", org, asset, None, None, True, 1 + c % 4, "in_progress",
                words.take(rng.randint(3, 8)).capitalize(), words.take(rng.randint(15, 40)),
                "portal", None, org, "L1", 0, None, None, None, False, None, None, 0, None, False, None, at, at,
                None, None, 1,
            )  # fmt: skip

    def events():
        for e in range(1, args.events + 1):
            case = 1 + (e * 7919) % args.cases
            public = e % 5 != 0
            org = 2 + (1 + case % n_assets) % n_orgs  # the case's (see cases())
            text = words.take(rng.randint(8, 30))
            yield (e, case, org, "comment", 1, public, text, "{}", t0 + timedelta(seconds=e))

    def rmas():
        for r in range(1, n_rmas + 1):
            case = r * 100 if r * 100 <= args.cases else 1
            asset = 1 + case % n_assets
            org = 2 + asset % n_orgs
            at = t0 + timedelta(minutes=case)
            yield (
                r, f"RMA-{r:06d}", case, org, asset, asset, 1, "advance_replacement", "shipped", "return",
                False, None, None, "", "us-east", None, None, None, None, None,
                words.take(rng.randint(5, 15)), "active", True, 1, at, at, None, 1,
            )  # fmt: skip

    def shipments():
        for r in range(1, n_rmas + 1):
            yield (r, r, "out", "UPS", f"1z{r:012d}", NOW, None)

    return {
        "organization": orgs(),
        "site": sites(),
        "user": users(),
        "product": iter([(1, "SA-1", "StorArray", None)]),
        "part": iter([(1, "DRV-1", "4 TB drive", "drive", True, False)]),
        "asset": assets(),
        "component": components(),
        "support_case": cases(),
        "case_event": events(),
        "rma": rmas(),
        "rma_shipment": shipments(),
    }


COLUMNS = {
    "organization": "id name is_vendor created_at webhook_endpoints",
    "site": "id organization_id name address timezone contact_name contact_phone region",
    "user": "id email name password_hash role organization_id region tier is_active created_at",
    "product": "id model product_line end_of_support_on",
    "part": "id part_number description kind data_bearing customer_replaceable",
    "asset": "id serial product_id organization_id site_id created_at rebuilding degraded",
    "component": "id asset_id part_id slot serial state installed_at removed_at note",
    "support_case": (
        "id number organization_id asset_id component_id contract_id entitled severity status subject description"
        " channel owner_id opened_by_id queue escalation_level close_reason first_response_due_at first_response_at"
        " first_response_breached next_update_due_at last_vendor_update_at next_update_breaches resolution_due_at"
        " resolution_breached sla_paused_at created_at updated_at resolved_at closed_at version"
    ),
    "case_event": "id case_id organization_id kind actor_id public body data created_at",
    "rma": (
        "id number case_id organization_id asset_id failed_component_id replacement_part_id kind state disposition"
        " needs_approval approved_by_id approved_at approval_note region field_engineer_id installed_component_id"
        " installed_at return_due_at retained_at problem component_state_before quarantine_added created_by_id"
        " created_at updated_at closed_at version"
    ),
    "rma_shipment": "id rma_id direction carrier tracking shipped_at delivered_at",
}


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def load_sqlite(engine, data) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, source in data.items():
            columns = COLUMNS[table].split()
            sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
            count, began = 0, time.perf_counter()
            while True:
                chunk = [tuple(_sqlite_value(v) for v in row) for _, row in zip(range(50_000), source, strict=False)]
                if not chunk:
                    break
                cursor.executemany(sql, chunk)
                count += len(chunk)
            raw.commit()
            log(f"sqlite {table}: {count} rows in {time.perf_counter() - began:.1f}s (FTS5 triggers on)")
    finally:
        raw.close()


def load_postgres(engine, data) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        definitions = {}
        for index, _table in PG_INDEXES:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (index,))
            definitions[index] = cursor.fetchone()[0]
            cursor.execute(f"DROP INDEX {index}")
        for table, source in data.items():
            columns = COLUMNS[table].split()
            began, count = time.perf_counter(), 0
            with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in source:
                    copy.write_row(row)
                    count += 1
            raw.commit()
            log(f"postgres {table}: {count} rows COPYed in {time.perf_counter() - began:.1f}s")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for index, _table in PG_INDEXES:
            began = time.perf_counter()
            cursor.execute(definitions[index])
            raw.commit()
            log(f"postgres {index} built in {time.perf_counter() - began:.1f}s")
        for table in COLUMNS:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
            )
        raw.commit()
    finally:
        raw.close()


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"n={len(ms)} p50={statistics.median(ms):.1f} ms p95={p95:.1f} ms max={ms[-1]:.1f} ms"


def measure(app, args, words: Words) -> dict[str, str]:
    gc.freeze()  # as each gunicorn worker does once the app is loaded (deploy/gunicorn.conf.py)
    rng = random.Random(11)
    n_assets, n_rmas = max(args.cases // 10, args.orgs), max(args.cases // 100, 1)
    results: dict[str, str] = {}
    with app.test_request_context(), new_session(app) as session:
        engineer = session.get_one(User, 1)
        customer = session.get_one(User, 2)
        queries = words.sample_queries()
        for who, user in (("engineer", engineer), ("customer", customer)):
            for label, pool in queries.items():
                samples, found = [], 0
                for _ in range(args.queries):
                    query = parse_query(rng.choice(pool))
                    began = time.perf_counter()
                    page = service.search(session, user, query)
                    samples.append(time.perf_counter() - began)
                    found += len(page.hits)
                key = f"word query, {who}, {label}"
                results[key] = percentiles(samples) + f" (avg {found / args.queries:.1f} hits on page 1)"
                log(f"{key}: {results[key]}")
        identifiers = [
            lambda: f"cs-{rng.randint(1, args.cases):06d}",
            lambda: f"rma-{rng.randint(1, n_rmas):06d}",
            lambda: f"sn{rng.randint(1, n_assets):08d}",
            lambda: f"SN{rng.randint(1, n_assets):08d}-D1",
            lambda: f"1Z{rng.randint(1, n_rmas):012d}",
        ]
        for who, user in (("engineer", engineer), ("customer", customer)):
            samples, jumped = [], 0
            for i in range(args.queries):
                query = parse_query(identifiers[i % len(identifiers)]())
                began = time.perf_counter()
                target = service.jump_target(session, user, query)
                samples.append(time.perf_counter() - began)
                jumped += target is not None
            key = f"exact identifier, {who}"
            results[key] = percentiles(samples) + f" ({jumped} of {args.queries} visible and jumped to)"
            log(f"{key}: {results[key]}")
    return results


def run(db: str, args) -> dict[str, str]:
    log(f"--- {db}: {args.cases} cases, {args.events} events, {args.orgs} partners")
    if args.reuse:  # measure again on the data of the last run (same sizes), its schema brought to head
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
        if db == "sqlite":
            if not args.sqlite_path:
                raise SystemExit("--reuse on SQLite needs --sqlite-path (the file the last run printed)")
            url = f"sqlite:///{args.sqlite_path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 24, "CLOCK": FixedClock(NOW), "TESTING": True}
        )
        return measure(app, args, Words(random.Random(3)))
    if db == "postgres":
        url = fresh_database(PG_DB)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='search-bench-')) / 'bench.sqlite3'}"
        log(f"sqlite: {url.removeprefix('sqlite:///')} (measure it again with --reuse --sqlite-path)")
    engine = make_engine(url)
    upgrade(engine)
    words = Words(random.Random(3))
    began = time.perf_counter()
    (load_postgres if db == "postgres" else load_sqlite)(engine, rows(args, words))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    load = time.perf_counter() - began
    log(f"{db}: loaded and analysed in {load:.0f}s")
    engine.dispose()
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 24, "CLOCK": FixedClock(NOW), "TESTING": True}
    )
    results = {"load seconds": f"{load:.0f}", **measure(app, args, words)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="measure the last run's data again")
    parser.add_argument("--sqlite-path", help="with --reuse: the SQLite file of the last run")
    args = parser.parse_args()
    report = {}
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        report[db] = run(db, args)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
