"""The migrations are the schema: one head, and they match the models exactly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
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


@pytest.mark.commits  # migrates the test database itself and writes rows: emptied after
def test_serials_typed_with_separators_get_their_key_and_one_key_is_installed_once(db_url, session, world):
    """0027 backfills ``serial_key`` for existing components and quarantine rows, and a second
    spelling of an installed serial can no longer be installed in another asset."""
    session.commit()
    session.close()
    engine = make_engine(db_url)
    try:
        downgrade(engine, "0026")
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE component SET serial = 'acme-001 d1' WHERE serial = 'ACME-001-D1'"))
            conn.execute(
                sa.text(
                    "INSERT INTO quarantined_serial (serial, reason, quarantined_at) "
                    "VALUES ('RET-9/A', 'failure analysis', :at)"
                ),
                {"at": world.acme_asset.created_at},
            )
        upgrade(engine)
        with engine.connect() as conn:
            keys = dict(conn.execute(sa.text("SELECT serial, serial_key FROM component")).all())
            quarantined = dict(conn.execute(sa.text("SELECT serial, serial_key FROM quarantined_serial")).all())
        assert keys["acme-001 d1"] == "ACME001D1" and keys["ACME-001-D2"] == "ACME001D2"
        assert quarantined["RET-9/A"] == "RET9A"
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            part_id, asset_id = conn.execute(sa.text("SELECT part_id, asset_id FROM component LIMIT 1")).one()
            other_asset = conn.execute(sa.text("SELECT id FROM asset WHERE id != :a LIMIT 1"), {"a": asset_id}).scalar()
            conn.execute(
                sa.text(
                    "INSERT INTO component (asset_id, part_id, slot, serial, serial_key, state, note) "
                    "VALUES (:asset, :part, 'bay 9', 'ACME001D1', 'ACME001D1', 'active', '')"
                ),
                {"asset": other_asset, "part": part_id},
            )
    finally:
        engine.dispose()
