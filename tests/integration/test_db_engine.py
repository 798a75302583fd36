"""Database plumbing held to what SQLAlchemy and psycopg do themselves: PostgreSQL cursors
whose descriptions are built on use, entities attached as the ORM's loader attaches them."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import bindparam, event, inspect, select, text

from casemgr.auth.models import User
from casemgr.db import EntityColumns, insert_new, lazy_description_cursor, make_engine, new_session


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


def _statements(session):
    sent: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_an_entity_built_from_a_core_row_is_what_the_orm_would_have_loaded(app, session, world):
    """EntityColumns + attach_as_loaded against the ORM's own load of the same row."""
    from casemgr.assets.models import Asset

    columns = EntityColumns(Asset, "a_")
    row = session.connection().execute(select(*columns.columns).where(Asset.__table__.c.serial == "ACME-001")).one()
    other = new_session(app)
    try:
        asset = columns.load(other, row)
        orm = session.scalars(select(Asset).where(Asset.serial == "ACME-001")).one()
        state, orm_state = inspect(asset), inspect(orm)
        assert state.persistent and state.key == orm_state.key and asset in other
        assert {k: getattr(asset, k) for k in columns.keys} == {k: getattr(orm, k) for k in columns.keys}
        assert set(vars(asset)) - {"_sa_instance_state"} == set(columns.keys), "no relationship loaded yet"
        assert not other.dirty and not state.modified and not state.expired_attributes
        assert columns.load(other, row) is asset and other.get(Asset, asset.id) is asset

        site, components = orm.site.name, [c.serial for c in orm.components]
        sent = _statements(other)
        assert asset.site.name == site and len(sent) == 1, "relationships load lazily, as loaded ones do"
        assert [c.serial for c in asset.components] == components and len(sent) == 2
        asset.degraded = True
        assert list(other.dirty) == [asset]
        other.commit()
        assert any(s.startswith("UPDATE asset") for s in sent)
        session.expire_all()
        assert session.get(Asset, asset.id).degraded is True
        other.expire(asset)
        assert asset.degraded is True  # expired and reloaded like any persistent object
    finally:
        other.close()
    assert inspect(asset).detached


def test_a_row_inserted_by_insert_new_is_attached_as_loaded_and_flushes_nothing_more(app, session, world):
    from casemgr.organizations.models import Organization

    org = Organization(name="Initech", created_at=world.acme.created_at)
    insert_new(session, org)
    state = inspect(org)
    assert state.persistent and org.id and session.get(Organization, org.id) is org
    assert not session.new and not session.dirty
    sent = _statements(session)
    session.commit()
    assert not any(s.startswith("INSERT") for s in sent)
    assert session.scalar(select(Organization.name).where(Organization.id == org.id)) == "Initech"
