"""The engine's PostgreSQL cursor: descriptions built on use, identical to psycopg's own."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import bindparam, select, text

from casemgr.auth.models import User
from casemgr.db import lazy_description_cursor, make_engine


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # psycopg's cursor; SQLite's is another
def test_a_lazy_description_reads_as_psycopgs_own_and_serves_new_and_cached_statements(db_url, world):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert isinstance(raw.cursor(), lazy_description_cursor())
            query = 'SELECT id, email, created_at, NULL::jsonb AS nothing FROM "user" ORDER BY id'
            lazy, plain = raw.cursor(), psycopg.Cursor(raw)
            lazy.execute(query)
            plain.execute(query)
            assert len(lazy.description) == 4
            assert [tuple(c) for c in lazy.description] == [tuple(c) for c in plain.description]
            assert [c.name for c in lazy.description[1:3]] == ["email", "created_at"]
            lazy.execute('UPDATE "user" SET name = name WHERE false')
            assert lazy.description is None  # no rows: as psycopg says

            # Through SQLAlchemy: a text query (columns read from the description) and a
            # compiled statement run twice (the second time from its cached metadata).
            emails = conn.execute(text('SELECT email FROM "user" ORDER BY id')).scalars().all()
            assert emails == [row[1] for row in plain.execute(query).fetchall()] and len(emails) == len(world.users)
            stmt = select(User.id, User.email).where(User.email == bindparam("email"))
            for user in list(world.users.values())[:2]:
                row = conn.execute(stmt, {"email": user.email}).one()
                assert (row.id, row._mapping["email"]) == (user.id, user.email)
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_description_read_after_its_cursor_moved_on_is_refused(db_url, world):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute("SELECT 1 AS one")
            stale = cursor.description
            cursor.execute("SELECT 2 AS two, 3 AS three")
            with pytest.raises(RuntimeError, match="moved on"):
                stale[0]
            assert [c.name for c in cursor.description] == ["two", "three"]
    finally:
        engine.dispose()
