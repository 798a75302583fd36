"""Benchmark: the cost of the database gauges of ``GET /metrics`` with a long history.

Command (from the repository root)::

    .venv/bin/python bench/metrics_scrape.py [--sent 500000] [--pending 100]

On PostgreSQL (its own database ``casemgr_bench_metrics`` on 127.0.0.1:5432, dropped at
the end): ``--sent`` delivered e-mails and ``--pending`` waiting ones, ANALYZE, then
each scrape-time query (outbox e-mail, outbox webhooks, escalation lag) under
``EXPLAIN (ANALYZE)``: the e-mail query reads the partial due index, so its time
follows the backlog, not the history. Only the notification table is filled (the
webhook and schedule tables stay empty; tests/web/test_metrics.py asserts that all
three queries use their index). Prints the plans and execution times.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from bench.pg import drop_database, fresh_database
from casemgr.db import make_engine
from casemgr.metrics.database import pending_email, pending_webhooks
from casemgr.migrate import upgrade
from casemgr.notifications.models import Notification

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DATABASE = "casemgr_bench_metrics"
LAG = "SELECT min(next_check_at) FROM escalation_schedule WHERE next_check_at IS NOT NULL"


def rows(status: str, start: int, stop: int) -> list[dict]:
    return [
        {
            "channel": "email",
            "subject": "s",
            "body": "",
            "status": status,
            "attempts": 1,
            "created_at": NOW - timedelta(seconds=i),
            "next_attempt_at": NOW,
        }
        for i in range(start, stop)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sent", type=int, default=500_000)
    parser.add_argument("--pending", type=int, default=100)
    args = parser.parse_args()
    engine = make_engine(fresh_database(DATABASE))
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for start in range(0, args.sent, 50_000):
                conn.execute(insert(Notification), rows("sent", start, min(args.sent, start + 50_000)))
            conn.execute(insert(Notification), rows("pending", 0, args.pending))
            conn.execute(text("ANALYZE"))
        queries = [
            str(q.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            for q in (pending_email(), pending_webhooks())
        ] + [LAG]
        with engine.connect() as conn:
            for name, sql in zip(("outbox e-mail", "outbox webhooks", "escalation lag"), queries, strict=True):
                plan = list(conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")).scalars())
                print(f"{name} ({args.sent:,} sent, {args.pending:,} pending):")
                print("\n".join(f"  {line}" for line in plan))
    finally:
        engine.dispose()
        drop_database(DATABASE)


if __name__ == "__main__":
    main()
