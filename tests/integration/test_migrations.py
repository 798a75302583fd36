"""The migrations are the schema: one head, and they match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from casemgr.db import make_engine
from casemgr.migrate import downgrade, heads, upgrade
from migrations.metadata import include_name, target_metadata


def test_there_is_exactly_one_migration_head():
    assert len(heads("sqlite://")) == 1


def test_the_migrated_schema_matches_the_models(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            diff = compare_metadata(context, target_metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


@pytest.mark.commits  # migrates the test database itself and writes rows: emptied after
def test_mail_the_old_outbox_gave_up_on_is_pending_again_after_the_upgrade(db_url):
    """0015: no terminal 'failed' any more; such rows go back in the queue (and the downgrade works)."""
    engine = make_engine(db_url)
    try:
        downgrade(engine, "0014")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO notification (email, channel, subject, body, status, attempts, next_attempt_at,"
                    " last_error, created_at) VALUES ('a@b.example', 'email', 'S1 paged', 'b', :status, 8, :t,"
                    " 'relay down', :t)"
                ),
                [
                    {"status": "failed", "t": "2026-11-02 09:00:00+00:00"},
                    {"status": "sent", "t": "2026-11-02 09:00:00+00:00"},
                ],
            )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, attempts, message_id FROM notification ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("pending", 8, None), ("sent", 8, None)]
    finally:
        engine.dispose()


@pytest.mark.commits  # migrates the test database itself and writes rows: emptied after
def test_timeline_entries_get_their_case_organisation_and_postgres_indexes_key_on_it(db_url, session, clock):
    """0026: entries written before it are backfilled; on PostgreSQL the search indexes are
    GIN on (organization_id, search_document); the downgrade takes both back."""
    from tests.factories import create_case

    case = create_case(session)
    session.commit()
    engine = make_engine(db_url)
    try:
        downgrade(engine, "0025")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO case_event (case_id, kind, public, body, data, created_at)"
                    " VALUES (:case, 'comment', true, 'before 0026', '{}', :t)"
                ),
                {"case": case.id, "t": clock.now()},
            )
        upgrade(engine)
        with engine.connect() as conn:
            orgs = set(conn.execute(text("SELECT organization_id FROM case_event WHERE case_id = :c"), {"c": case.id}))
            assert orgs == {(case.organization_id,)}
            if engine.dialect.name == "postgresql":
                definition = conn.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_case_event_search'")
                ).scalar_one()
                assert "gin (organization_id, search_document)" in definition
    finally:
        engine.dispose()
