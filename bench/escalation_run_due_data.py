"""The data set of ``bench/escalation_run_due.py``: N open cases, their schedules, ladders and staff,
bulk-loaded with Core ``insert()``.

Separate from the benchmark itself (timing, SQL counting, the table) because it is the
fixture: what the figures are measured on, fixed by a seed and the benchmark's ``NOW``."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text

from casemgr.assets.models import Asset, Product
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseEvent
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan
from casemgr.organizations.models import AccountAssignment, Organization, Site
from escalation.models import EscalationSchedule

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # fixed: results never depend on the wall clock
CHUNK = 5000  # rows per executemany: bounded memory, few round trips
PARTNERS = 5
CASES_PER_ASSET = 20
TARGETS = {
    "1": {"first_response": 60, "next_update": 120, "resolution": 480},
    "2": {"first_response": 120, "next_update": 240, "resolution": 1440},
    "3": {"first_response": 240, "next_update": 480, "resolution": 2880},
    "4": {"first_response": 480, "next_update": 1440, "resolution": 7200},
}


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
