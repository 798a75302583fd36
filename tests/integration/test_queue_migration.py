"""0023 fills in the stored next deadline and the customer-escalated mark of existing cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from casemgr.db import UTCDateTime, make_engine

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.commits  # migrates the test database itself and writes rows: emptied after
def test_the_upgrade_backfills_the_next_deadline_and_the_customer_escalation(db_url):
    from casemgr.migrate import downgrade, upgrade

    engine = make_engine(db_url)
    meta = sa.MetaData()
    org = sa.Table(
        "organization",
        meta,
        sa.Column("id", sa.Integer),
        sa.Column("name", sa.String),
        sa.Column("is_vendor", sa.Boolean),
        sa.Column("created_at", UTCDateTime()),
    )
    case_columns = [
        ("first_response_due_at", UTCDateTime()),
        ("first_response_at", UTCDateTime()),
        ("next_update_due_at", UTCDateTime()),
        ("last_vendor_update_at", UTCDateTime()),
        ("resolution_due_at", UTCDateTime()),
        ("sla_paused_at", UTCDateTime()),
        ("created_at", UTCDateTime()),
        ("updated_at", UTCDateTime()),
    ]
    case = sa.Table(
        "support_case",
        meta,
        sa.Column("id", sa.Integer),
        sa.Column("number", sa.String),
        sa.Column("organization_id", sa.Integer),
        sa.Column("entitled", sa.Boolean),
        sa.Column("severity", sa.Integer),
        sa.Column("status", sa.String),
        sa.Column("subject", sa.String),
        sa.Column("description", sa.String),
        sa.Column("channel", sa.String),
        sa.Column("queue", sa.String),
        sa.Column("escalation_level", sa.Integer),
        sa.Column("first_response_breached", sa.Boolean),
        sa.Column("next_update_breaches", sa.Integer),
        sa.Column("resolution_breached", sa.Boolean),
        sa.Column("version", sa.Integer),
        *(sa.Column(name, type_) for name, type_ in case_columns),
    )
    event = sa.Table(
        "case_event",
        meta,
        sa.Column("case_id", sa.Integer),
        sa.Column("kind", sa.String),
        sa.Column("public", sa.Boolean),
        sa.Column("body", sa.String),
        sa.Column("data", sa.JSON),
        sa.Column("created_at", UTCDateTime()),
    )

    def row(i: int, status: str, **clocks) -> dict:
        values = {
            "id": i,
            "number": f"CS-MIG{i}",
            "organization_id": 9001,
            "entitled": True,
            "severity": 2,
            "status": status,
            "subject": "s",
            "description": "d",
            "channel": "portal",
            "queue": "L1",
            "escalation_level": 0,
            "first_response_breached": False,
            "next_update_breaches": 0,
            "resolution_breached": False,
            "version": 1,
            **{name: None for name, _ in case_columns},
            "created_at": T0,
            "updated_at": T0,
        }
        values.update(clocks)
        return values

    try:
        downgrade(engine, "0017")
        with engine.begin() as conn:
            conn.execute(org.insert(), [{"id": 9001, "name": "Old", "is_vendor": False, "created_at": T0}])
            conn.execute(
                case.insert(),
                [
                    row(9001, "new", first_response_due_at=T0 + 4 * H, resolution_due_at=T0 + 48 * H),
                    row(9002, "resolved", first_response_due_at=T0 + 4 * H, resolution_due_at=T0 + 48 * H),
                    row(9003, "waiting_customer", resolution_due_at=T0 + 48 * H, sla_paused_at=T0 + H),
                ],
            )
            conn.execute(
                event.insert(),
                [
                    {
                        "case_id": 9001,
                        "kind": "escalation_requested",
                        "public": True,
                        "body": "",
                        "data": {},
                        "created_at": T0 + H,
                    }
                ],
            )
        upgrade(engine)
        table = sa.Table("support_case", sa.MetaData(), autoload_with=engine)
        query = sa.select(
            table.c.id,
            sa.type_coerce(table.c.next_due_at, UTCDateTime()),
            table.c.next_due_kind,
            sa.type_coerce(table.c.at_risk_at, UTCDateTime()),
            sa.type_coerce(table.c.customer_escalated_at, UTCDateTime()),
        ).order_by(table.c.id)
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(query)]
        assert rows == [
            (9001, T0 + 4 * H, "first_response", T0 + 3 * H, T0 + H),
            (9002, None, None, None, None),
            (9003, None, None, None, None),
        ]
    finally:
        engine.dispose()
