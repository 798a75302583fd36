"""The migrations are the schema: one head, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casemgr.db import make_engine
from casemgr.migrate import heads
from migrations.metadata import target_metadata


def test_there_is_exactly_one_migration_head():
    assert len(heads("sqlite://")) == 1


def test_the_migrated_schema_matches_the_models(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, target_metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
