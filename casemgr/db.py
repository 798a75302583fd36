"""Database plumbing: declarative base, UTC time type, engine and sessions.

Services receive a ``Session`` and own its transaction; views get the
request's session from :func:`get_session` and never commit.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from flask import Flask, g, request
from sqlalchemy import DateTime, MetaData, Table, create_engine, event, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.schema import ColumnDefault
from sqlalchemy.types import TypeDecorator

from casemgr.registry import registry_of

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
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}

    if TYPE_CHECKING:
        # Every model here is mapped to one Table (DeclarativeBase allows any FromClause).
        __table__: ClassVar[Table]


def make_engine(url: str, *, sqlite_immediate: bool = False, pre_ping: bool = False) -> Engine:
    """An engine with the per-dialect settings the app relies on.

    ``sqlite_immediate`` makes every SQLite transaction take the write lock at
    BEGIN: used by sessions that write (form posts, the runner, the sender) so
    that concurrent writers queue on busy_timeout instead of failing on a stale
    WAL snapshot. Read-only sessions keep the driver's lazy transactions.

    ``pre_ping`` (PostgreSQL) tests each pooled connection as it is checked out, the app's
    default (``CASEMGR_DB_PRE_PING``): after a database restart the first request of each
    worker would otherwise meet a dead pooled connection and answer 503; with it, the
    connection is replaced and the request goes through, for one round trip per checkout.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        # Without pre_ping a connection the server dropped fails one request: SQLAlchemy then
        # discards the whole pool and the app answers 503 "retry" (casemgr.outage).
        # Recycling after an hour keeps idle connections clear of idle timeouts.
        kwargs["pool_recycle"] = 3600
        kwargs["pool_pre_ping"] = pre_ping
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if sqlite_immediate:
            event.listen(engine, "connect", _sqlite_manual_transactions)
            event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


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
    """One app's engines and session factories (:func:`casemgr.create_app` makes one per app)."""

    def __init__(self, url: str, *, pre_ping: bool = False) -> None:
        self.engine = make_engine(url, pre_ping=pre_ping)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        #: Sessions that write; on SQLite they take the write lock at BEGIN.
        self.write_engine = (
            make_engine(url, sqlite_immediate=True) if self.engine.dialect.name == "sqlite" else self.engine
        )
        self.write_session_factory = sessionmaker(self.write_engine, expire_on_commit=False)

    def factories(self) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
        return self.session_factory, self.write_session_factory

    @contextmanager
    def sessions_joined(self, connection: Connection) -> Iterator[None]:
        """While the block runs, every session this app makes (both factories) is bound to
        ``connection`` and joins the transaction the caller began on it through a SAVEPOINT:
        SQLAlchemy's recipe "Joining a Session into an External Transaction", with
        ``join_transaction_mode="create_savepoint"``. A session's commit then only releases
        its savepoint and its rollback returns to it; what stays is the caller's to commit or
        roll back with the outer transaction. The tests use it to roll each test back.

        ``connection`` must be in a transaction, and is used from one thread only. On SQLite
        it must come from ``make_engine(url, sqlite_immediate=True)``: SQLAlchemy then emits
        BEGIN itself, as SAVEPOINTs need (the driver's own transaction handling breaks them).
        The factories get their engines back when the block ends.
        """
        if not connection.in_transaction():
            raise ValueError("sessions_joined needs a connection inside a transaction (connection.begin())")
        driver = connection.connection.dbapi_connection
        if connection.dialect.name == "sqlite" and getattr(driver, "isolation_level", None) is not None:
            raise ValueError("on SQLite, join a connection of make_engine(url, sqlite_immediate=True)")
        for factory in self.factories():
            factory.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield
        finally:
            self.session_factory.configure(bind=self.engine, join_transaction_mode="conditional_savepoint")
            self.write_session_factory.configure(bind=self.write_engine, join_transaction_mode="conditional_savepoint")

    def dispose(self) -> None:
        for engine in {self.engine, self.write_engine}:
            engine.dispose()


def database(app: Flask | None = None) -> Database:
    return registry_of(app).db


def new_session(app: Flask | None = None, *, write: bool = False) -> Session:
    """A fresh session of the app (CLI, scheduler, tests): its events reach the app's listeners."""
    db = database(app)
    return (db.write_session_factory if write else db.session_factory)()


def get_session() -> Session:
    """The current request's session, created on first use; form posts write."""
    if "db_session" not in g:
        g.db_session = new_session(write=request.method not in ("GET", "HEAD", "OPTIONS"))
    return g.db_session


def close_request_session(_exc: BaseException | None) -> None:
    """End the request's session. Its ROLLBACK fails when the database went away during the
    request: the answer is already made (often a 503), so the connection is discarded, never
    raised from teardown, where it would turn that answer into the server's bare 500."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except SQLAlchemyError:
        logging.getLogger(__name__).warning("closing a request's session failed; connection discarded", exc_info=True)
        with contextlib.suppress(SQLAlchemyError):  # nothing left to discard
            session.invalidate()


def insert_one(session: Session, obj: Any) -> None:
    """INSERT the new mapped object ``obj`` with one Core ``insert().returning()`` and make it
    persistent, as if it had just been loaded: in the identity map, every column loaded,
    no pending change, the relationships it holds kept, the others loaded lazily on use.

    For the hottest single-row write (every case opened), where the unit of work's
    flush costs more than the INSERT itself. A column ``obj`` does not set is written
    with its scalar default, or NULL where it has none; the primary key (and any column
    with a server-side or computed default) comes back from RETURNING. Relationships
    are not followed: set the foreign keys, and any related object already loaded
    with :func:`~sqlalchemy.orm.attributes.set_committed_value`. No mapper
    ``before_insert`` / ``after_insert`` events run.
    """
    state = sa_inspect(obj)
    if not state.transient:
        raise ValueError("insert_one takes a new object, never added to a session")
    mapper, held = state.mapper, state.dict  # what the object holds (InstanceState.dict, read only)
    values = {prop.columns[0].key: held[prop.key] for prop in mapper.column_attrs if prop.key in held}
    statement, returned, defaults = _insert_returning(mapper.local_table, frozenset(values))
    row = session.connection().execute(statement, {**values, **defaults}).one()
    unset = {**defaults, **dict(zip(returned, row, strict=True))}
    for prop in mapper.column_attrs:
        column = prop.columns[0].key
        if column in unset:  # the others are set already: attaching commits them
            set_committed_value(obj, prop.key, unset[column])
    _attach_as_loaded(session, obj)


@lru_cache(maxsize=64)
def _insert_returning(table: Table, given: frozenset[str]) -> tuple[Any, tuple[str, ...], dict[str, Any]]:
    """For rows that set the columns ``given``: the INSERT, the columns it returns (those only
    the database knows), and the values it writes into the others (scalar defaults, NULL)."""
    defaults: dict[str, Any] = {}
    returned = []
    for column in table.columns:
        if column.key in given:
            continue
        default = column.default
        scalar = isinstance(default, ColumnDefault) and default.is_scalar
        value = default.arg if isinstance(default, ColumnDefault) else None
        if (
            column.primary_key
            or column.server_default is not None
            or (default is not None and (not scalar or isinstance(value, (list, dict, set))))
        ):
            returned.append(column)  # the database's to say (a mutable default must not be shared)
        else:
            defaults[column.key] = value
    return insert(table).returning(*returned), tuple(column.key for column in returned), defaults


def _attach_as_loaded(session: Session, obj: Any) -> None:
    """SQLAlchemy's documented route for an object whose column values are all known:
    history reset as though freshly loaded, identity set, then added to the session."""
    make_transient_to_detached(obj)
    session.add(obj)


class EntityColumns:
    """An entity's columns for a Core SELECT, and its persistent object from a result row.

    For a read that wants the rows of several entities from one statement it runs
    itself (the API token and its user, on every API call). :meth:`load` makes the
    object as the session would have loaded it -- persistent, every column loaded,
    no pending change, relationships loaded lazily on first use -- and the identity
    map still wins: an object the session already holds is returned as it is.
    Where the ORM runs the statement itself (``session.execute(select(A, B)...)``),
    that is simpler: use it.
    """

    def __init__(self, cls: type, prefix: str) -> None:
        self.mapper: Mapper[Any] = sa_inspect(cls)
        props = list(self.mapper.column_attrs)
        self.keys = [prop.key for prop in props]
        self.labels = [f"{prefix}{key}" for key in self.keys]
        self.columns = [prop.columns[0].label(label) for prop, label in zip(props, self.labels, strict=True)]
        pk_keys = [self.mapper.get_property_by_column(c).key for c in self.mapper.primary_key]
        self._pk_labels = [f"{prefix}{key}" for key in pk_keys]

    def load(self, session: Session, row: Any) -> Any:
        """The object in ``row`` (a Core row holding :attr:`columns`), or None where an outer join found none."""
        identity = tuple(getattr(row, label) for label in self._pk_labels)
        if any(v is None for v in identity):
            return None
        existing = session.identity_map.get(self.mapper.identity_key_from_primary_key(identity))
        if existing is not None:
            return existing
        obj = self.mapper.class_()
        for key, label in zip(self.keys, self.labels, strict=True):
            set_committed_value(obj, key, getattr(row, label))
        _attach_as_loaded(session, obj)
        return obj
