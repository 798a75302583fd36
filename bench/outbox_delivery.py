"""Benchmark: outbox delivery (``casemgr.notifications.services.deliver_due``) to a real SMTP server.

Command (from the repository root)::

    .venv/bin/python bench/outbox_delivery.py --db both --messages 2000 [--senders 1,3] [--cases 20]

What it measures, per database (SQLite: a file in a temp dir; PostgreSQL: its own
database ``casemgr_bench_outbox`` on 127.0.0.1:5432, dropped and re-created):

* fresh schema (Alembic) and the demo data (``seed_demo``), then ``--messages``
  pending e-mails about ``--cases`` of its cases (five recipients each, so most
  mails thread on earlier ones), written with one Core ``insert()``;
* the time to deliver all of them with 1, then several senders side by side
  (threads, each with its own write session, as several schedulers would), each
  claiming batches with a lease, committing, sending outside any transaction
  through ``SmtpSender`` to an aiosmtpd server on 127.0.0.1, and recording each
  result: messages/s, and SQL statements per message (one sender);
* that every message arrived exactly once (distinct ``Message-ID``s).

This is a benchmark that prints figures, not a test. The SMTP server runs in the
same process, so its work is counted too; a real relay elsewhere costs latency.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import delete, event, insert, select  # noqa: E402

from bench.pg import drop_database, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.cases.models import Case  # noqa: E402
from casemgr.clock import FixedClock  # noqa: E402
from casemgr.db import make_engine, new_session  # noqa: E402
from casemgr.demo import seed_demo  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.notifications.mail import MailSettings  # noqa: E402
from casemgr.notifications.models import Notification  # noqa: E402
from casemgr.notifications.senders import SmtpSender  # noqa: E402
from casemgr.notifications.services import deliver_due  # noqa: E402
from casemgr.registry import registry_of  # noqa: E402
from tests.smtp_sink import SmtpSink  # noqa: E402

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PG_NAME = "casemgr_bench_outbox"


def queue(app, messages: int, cases: int) -> None:
    with new_session(app, write=True) as s:
        s.execute(delete(Notification))
        case_ids = list(s.scalars(select(Case.id).order_by(Case.id).limit(cases)))
        rows = [
            {
                "email": f"contact{i % 5}@partner.example",
                "channel": "email",
                "case_id": case_ids[(i // 5) % len(case_ids)],
                "subject": f"Update {i}",
                "body": "We are working on it.\n" * 5,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": NOW,
                "created_at": NOW,
            }
            for i in range(messages)
        ]
        s.execute(insert(Notification), rows)
        s.commit()


def deliver(app, senders: int, sink: SmtpSink) -> tuple[float, int]:
    settings = MailSettings.from_config(app.config)
    sent: list[int] = []

    def one() -> None:
        with new_session(app, write=True) as s:
            sent.append(deliver_due(s, SmtpSender(sink.url), NOW, settings).sent)

    threads = [threading.Thread(target=one) for _ in range(senders)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, sum(sent)


def run(kind: str, messages: int, cases: int, sender_counts: list[int], tmp: Path) -> None:
    url = f"sqlite:///{tmp / 'outbox.sqlite3'}" if kind == "sqlite" else fresh_database(PG_NAME)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app(
            {"INSTANCE_PATH": str(tmp / f"instance-{kind}"), "DATABASE_URL": url, "CLOCK": FixedClock(NOW)}
        )
        with new_session(app, write=True) as s:
            seed_demo(s, app.config, NOW)
        statements = [0]
        event.listen(
            registry_of(app).db.write_session_factory.kw["bind"],
            "before_cursor_execute",
            lambda *a: statements.__setitem__(0, statements[0] + 1),
        )
        for senders in sender_counts:
            queue(app, messages, cases)
            sink = SmtpSink().start()
            statements[0] = 0
            try:
                elapsed, sent = deliver(app, senders, sink)
            finally:
                sink.stop()
            ids = {m["Message-ID"] for m in sink.messages}
            print(
                f"{kind:<10} {senders} sender(s): {sent} of {messages} e-mails in {elapsed:.2f} s = "
                f"{sent / elapsed:.0f} msg/s; {statements[0] / max(sent, 1):.1f} SQL statements per message; "
                f"{len(sink.messages)} received, {len(ids)} distinct Message-IDs"
            )
        registry_of(app).db.dispose()
    finally:
        if kind == "postgresql":
            drop_database(PG_NAME)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--senders", default="1,3")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    counts = [int(n) for n in args.senders.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            run(kind, args.messages, args.cases, counts, Path(tmp))


if __name__ == "__main__":
    main()
