"""Benchmark: the notification fan-out of one case event, with 1, 10 and 50 watchers.

Command (from the repository root)::

    .venv/bin/python bench/notification_fanout.py --db both --events 40

Per database (SQLite: a file in a temp dir; PostgreSQL: its own database
``casemgr_bench_fanout`` on 127.0.0.1:5432, dropped and re-created): fresh schema
(Alembic), one customer organisation with an opener and 50 more users, a support
engineer who owns the case. For each watcher count (the customer users added with
``add_watcher``; half of them with a preference other than "immediately"), three
kinds of event, each ``--events`` times after one warm-up:

* a vendor public reply (``add_comment``: every customer contact is told),
* a status change (``change_status`` to waiting on customer and back),
* a customer reply (the owner and the other watchers are told).

It prints, per event: SQL statements (the whole service call with its commit), the
notification rows written, and the median milliseconds. Nothing here is a test.
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

from sqlalchemy import event, func, select  # noqa: E402

from bench.pg import drop_database, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.assets.models import Asset, Product  # noqa: E402
from casemgr.auth.models import User  # noqa: E402
from casemgr.cases import comments, opening, services, watchers  # noqa: E402
from casemgr.cases.attachments import LocalAttachmentStore  # noqa: E402
from casemgr.clock import FixedClock  # noqa: E402
from casemgr.db import new_session  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.notifications.models import Notification  # noqa: E402
from casemgr.notifications.preferences import set_preferences  # noqa: E402
from casemgr.organizations.models import Organization, Site  # noqa: E402
from casemgr.registry import registry_of  # noqa: E402

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
PG_DB = "casemgr_bench_fanout"
WATCHERS = (1, 10, 50)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def seed(session) -> dict[str, User]:
    vendor = Organization(name="Vendor", is_vendor=True, created_at=NOW)
    acme = Organization(name="Acme", created_at=NOW)
    session.add_all([vendor, acme])
    session.flush()
    site = Site(organization_id=acme.id, name="DC", timezone="America/New_York", address="1 Way")
    product = Product(model="SA-1", product_line="StorArray")
    session.add_all([site, product])
    session.flush()
    session.add(Asset(serial="ACME-1", product_id=product.id, organization_id=acme.id, site_id=site.id, created_at=NOW))

    def user(email: str, role: str, org: Organization) -> User:
        u = User(email=email, name=email.split("@")[0], role=role, organization_id=org.id, created_at=NOW)
        u.password_hash = "unused"
        session.add(u)
        return u

    people = {"opener": user("opener@acme.example", "customer_admin", acme)}
    people["engineer"] = user("eng@vendor.example", "support_engineer", vendor)
    for i in range(max(WATCHERS)):
        people[f"w{i}"] = user(f"w{i}@acme.example", "customer_user", acme)
    session.commit()
    return people


def run(kind: str, url: str, events: int) -> None:
    clock = FixedClock(NOW)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 20, "CLOCK": clock})
        db = registry_of(app).db
        upgrade(db.engine)
        statements = [0]

        def count(*_args) -> None:
            statements[0] += 1

        for engine in {id(e): e for e in (db.engine, db.write_session_factory.kw["bind"])}.values():
            event.listen(engine, "before_cursor_execute", count)
        store = LocalAttachmentStore(Path(tmp) / "files", 1 << 20)
        session = new_session(app, write=True)
        people = seed(session)
        for i in range(0, max(WATCHERS), 2):  # half the watchers hold their mail for the digest
            set_preferences(session, people[f"w{i}"], {"reply": "digest", "status": "in_app"}, NOW)
        eng = people["engineer"]
        print(f"\n{kind}: statements, notification rows and median ms per case event")
        print(f"{'watchers':>8}  {'event':<22} {'statements':>10} {'rows':>6} {'median ms':>10} {'max ms':>8}")
        for n in WATCHERS:
            case = opening.open_case(
                session,
                people["opener"],
                store,
                asset_serial="ACME-1",
                severity=3,
                subject=f"Fan-out {n}",
                description="Benchmark case",
                now=NOW,
            )
            services.assign_owner(session, eng, case, owner_id=eng.id, expected_version=None, now=NOW)
            for i in range(n):
                watchers.add_watcher(session, people["opener"], case, user_id=people[f"w{i}"].id, now=NOW)
            customer = people["w1"] if n > 1 else people["w0"]
            state = {"waiting": False}

            def vendor_reply(at, case=case) -> None:
                comments.add_comment(session, eng, store, case, body="An update", public=True, now=at)

            def status_change(at, case=case, state=state) -> None:
                state["waiting"] = not state["waiting"]
                new = "waiting_customer" if state["waiting"] else "in_progress"
                services.change_status(session, eng, case, new_status=new, expected_version=None, now=at)

            def customer_reply(at, case=case, customer=customer) -> None:
                comments.add_comment(session, customer, store, case, body="Thanks", public=True, now=at)

            for label, action in (
                ("vendor public reply", vendor_reply),
                ("status change", status_change),
                ("customer reply", customer_reply),
            ):
                at = clock.advance(timedelta(minutes=1))
                action(at)  # warm-up
                times, counts, rows = [], [], []
                for _ in range(events):
                    at = clock.advance(timedelta(minutes=1))
                    before_rows = session.scalar(select(func.count()).select_from(Notification))
                    statements[0] = 0
                    start = time.perf_counter()
                    action(at)
                    times.append((time.perf_counter() - start) * 1000)
                    counts.append(statements[0])
                    rows.append(session.scalar(select(func.count()).select_from(Notification)) - before_rows)
                print(
                    f"{n:>8}  {label:<22} {statistics.median(counts):>10.0f} {statistics.median(rows):>6.0f}"
                    f" {statistics.median(times):>10.2f} {max(times):>8.2f}"
                )
        session.close()
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=40)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for kind in kinds:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run(kind, f"sqlite:///{Path(tmp) / 'fanout.sqlite3'}", args.events)
        else:
            log(f"PostgreSQL: fresh database {PG_DB}")
            run(kind, fresh_database(PG_DB), args.events)
            drop_database(PG_DB)


if __name__ == "__main__":
    main()
