"""Database plumbing: declarative base, UTC time type, engine and sessions.

Services receive a ``Session`` and own its transaction; views get the
request's session from :func:`get_session` and never commit.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g, request
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.types import TypeDecorator

from casemgr.bulk import insert_returning

if TYPE_CHECKING:
    from casemgr.numbering import Numbered

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (naive storage) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def make_engine(url: str, *, sqlite_immediate: bool = False) -> Engine:
    """An engine with the per-dialect settings the app relies on.

    ``sqlite_immediate`` makes every SQLite transaction take the write lock at
    BEGIN: used by sessions that write (form posts, the runner, the sender) so
    that concurrent writers queue on busy_timeout instead of failing on a stale
    WAL snapshot. Read-only sessions keep the driver's lazy transactions.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        # No ping before every checkout (a round trip on every request). A connection the
        # server dropped fails one request instead: SQLAlchemy then discards the whole
        # pool, and the app answers 503 "retry" (casemgr.app). Recycling after an hour
        # keeps idle connections clear of server and firewall idle timeouts.
        kwargs["pool_recycle"] = 3600
        kwargs["connect_args"] = {"cursor_factory": lazy_description_cursor()}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if sqlite_immediate:
            event.listen(engine, "connect", _sqlite_manual_transactions)
            event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


@cache
def lazy_description_cursor() -> type:
    """psycopg's cursor, with ``description`` built when it is read rather than when asked for.

    SQLAlchemy asks every cursor for its description, to learn whether rows came
    back, but reads the columns only the first time a statement runs: after that
    it keeps their metadata with the compiled statement. psycopg builds one Python
    object per column on each ask -- 7% of an API case opening's instructions,
    most of it for the asset look-up's 46 columns. Imported late: SQLite
    deployments need not install psycopg.
    """
    from collections.abc import Sequence

    import psycopg
    from psycopg.pq import ExecStatus

    returns_rows = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)
    built = psycopg.Cursor.description.fget

    class Description(Sequence):
        """The columns of one result, built by psycopg on first use."""

        __slots__ = ("_cursor", "_result", "_count", "_columns")

        def __init__(self, cursor: psycopg.Cursor, result: Any, count: int) -> None:
            self._cursor, self._result, self._count, self._columns = cursor, result, count, None

        def __len__(self) -> int:
            return self._count

        def __getitem__(self, index: Any) -> Any:
            if self._columns is None:
                if self._cursor.pgresult is not self._result:
                    raise RuntimeError("cursor.description read after the cursor moved on to another result")
                self._columns = built(self._cursor)
            return self._columns[index]

    class LazyDescriptionCursor(psycopg.Cursor):
        @property
        def description(self) -> Description | None:
            result = self.pgresult
            if result and (result.nfields or result.status in returns_rows):
                return Description(self, result, result.nfields)
            return None

    return LazyDescriptionCursor


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN: writers queue (busy_timeout) instead of
    deadlocking when two of them upgrade read locks at once (web + scheduler)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """Flask extension holding the engine and the session factory."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        #: Sessions that write; on SQLite they take the write lock at BEGIN.
        self.write_session_factory: sessionmaker[Session] | None = None

    def init_app(self, app: Flask) -> None:
        """Give ``app`` engines of its own, in ``app.extensions["casemgr.db"]`` (read it through
        :func:`database`): the extension object is shared by every app a process creates
        (tests, tools), so it must not hold one app's engines for all of them."""
        state = Database()
        url = app.config["DATABASE_URL"]
        state.engine = make_engine(url)
        state.session_factory = sessionmaker(state.engine, expire_on_commit=False)
        write_engine = make_engine(url, sqlite_immediate=True) if state.engine.dialect.name == "sqlite" else state.engine
        state.write_session_factory = sessionmaker(write_engine, expire_on_commit=False)
        app.extensions["casemgr.db"] = state
        app.teardown_appcontext(_close_request_session)

    def dispose(self) -> None:
        for factory in (self.session_factory, self.write_session_factory):
            if factory is not None:
                factory.kw["bind"].dispose()


def database() -> Database:
    return current_app.extensions["casemgr.db"]


def new_session(app: Flask | None = None, *, write: bool = False) -> Session:
    """A fresh session bound to the app's event bus (CLI, scheduler, tests)."""
    from casemgr.events import attach_bus

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    db: Database = app.extensions["casemgr.db"]
    session = (db.write_session_factory if write else db.session_factory)()
    attach_bus(session, app.extensions["casemgr.events"])
    return session


def get_session() -> Session:
    """The current request's session, created on first use; form posts write."""
    if "db_session" not in g:
        g.db_session = new_session(write=request.method not in ("GET", "HEAD", "OPTIONS"))
    return g.db_session


def _close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def insert_new(session: Session, obj: Any, numbered: Numbered | None = None) -> None:
    """INSERT one new ORM object with a single Core statement and attach it as persistent.

    For the hottest writes (every case opened): the unit of work's bookkeeping
    costs several times the INSERT itself. Column defaults are applied here, so
    every column is loaded afterwards (nothing is fetched back but the id).
    The object must have no pending related objects of its own: they would
    not be inserted. ``numbered``: a column taking a counter's next value, set
    on the object by the same INSERT where the database allows.
    """
    mapper = sa_inspect(type(obj))
    table = mapper.local_table
    (key,) = mapper.primary_key
    loaded = obj.__dict__  # the object is attached below with every column committed: no history needed
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in loaded:
            values[column.key] = loaded[prop.key]
        elif column is key:
            continue
        else:
            default = column.default
            value = None if default is None else (default.arg(None) if default.is_callable else default.arg)
            loaded[prop.key] = values[column.key] = value
    if numbered is None:
        new_key = insert_returning(session.connection(), table, values, key.name)
    else:
        values.pop(numbered.column, None)
        new_key, loaded[numbered.column] = numbered.insert(session, table, values, key.name)
    loaded[mapper.get_property_by_column(key).key] = new_key
    attach_as_loaded(session, obj)


class EntityColumns:
    """An entity's columns for a Core SELECT, and its persistent object from a result row.

    For the few read queries on every request (token and user, the asset a case is
    opened on): Core rows cost a fraction of the ORM's query and loading machinery.
    The object is what the session would have loaded -- persistent, every column
    loaded, lazy relationships intact -- and the identity map still wins: an object
    the session already holds is returned as it is.
    """

    def __init__(self, cls: type, prefix: str) -> None:
        self.mapper = sa_inspect(cls)
        props = list(self.mapper.column_attrs)
        self.keys = [prop.key for prop in props]
        self.labels = [f"{prefix}{key}" for key in self.keys]
        self.columns = [prop.columns[0].label(label) for prop, label in zip(props, self.labels)]
        pk_keys = {self.mapper.get_property_by_column(c).key for c in self.mapper.primary_key}
        self._pk_labels = [label for key, label in zip(self.keys, self.labels) if key in pk_keys]

    def load(self, session: Session, row: Any) -> Any:
        """The object in ``row`` (a Core row holding :attr:`columns`), or None where an outer join found none."""
        values = row._mapping
        identity = tuple(values[label] for label in self._pk_labels)
        if any(v is None for v in identity):
            return None
        identity_key = self.mapper.identity_key_from_primary_key(identity)
        existing = session.identity_map.get(identity_key)
        if existing is not None:
            return existing
        obj = self.mapper.class_manager.new_instance()
        loaded = obj.__dict__  # as the ORM's own loader fills a new instance: no attribute events
        for key, label in zip(self.keys, self.labels):
            loaded[key] = values[label]
        attach_as_loaded(session, obj, identity_key)
        return obj


def attach_as_loaded(session: Session, obj: Any, identity_key: Any = None) -> None:
    """Make ``obj`` -- a new instance whose columns are all set, its key among them --
    persistent in ``session``, in the state the ORM's loader leaves an instance it
    loaded: in the identity map, no pending changes, relationships lazy.

    The public route, :func:`make_transient_to_detached` then :meth:`Session.add`, gets
    there through general paths (expiring every unloaded attribute, cascading along
    every relationship) at several times the cost, nine times per case opened. This
    one takes the loader's own steps (``sqlalchemy.orm.loading._instance``), so it
    leans on SQLAlchemy internals: tests/integration/test_db_engine.py holds it to
    what the ORM itself loads. Where load events are listened to, the public route.
    ``identity_key``: the object's, when the caller has it at hand.
    """
    state = instance_state(obj)
    if state.manager.dispatch.load or session.dispatch.loaded_as_persistent:
        make_transient_to_detached(obj)
        session.add(obj)
        return
    state.key = identity_key or state.mapper._identity_key_from_state(state)
    state.identity_token = None
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, state.key)
    state._commit_all(state.dict, session.identity_map)
