"""Insert many rows in one go, inside the session's transaction.

PostgreSQL gets a binary ``COPY ... FROM STDIN`` (two round trips for thousands
of rows, an order of magnitude faster than executemany), or one multi-row INSERT
for a handful of rows; SQLite a driver-level executemany. Values go through each column's SQLAlchemy type first, exactly as
an INSERT would bind them (UTC datetimes, JSON); equal values are converted
once (a batch's rows share their timestamps).

Rows nothing reads back before the commit can also wait for it
(:func:`insert_at_commit`): those of one transaction are then written together,
on PostgreSQL in a single statement.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction


#: Below this many rows PostgreSQL gets one multi-row INSERT: COPY costs a round trip more.
COPY_MIN_ROWS = 20


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """``rows`` must all carry the same keys."""
    if not rows:
        return
    conn = session.connection()
    names = list(rows[0])
    dialect = conn.dialect.name
    if dialect == "postgresql" and len(rows) >= COPY_MIN_ROWS:
        _copy(conn, table, names, rows)
    elif dialect == "sqlite":
        _sqlite_insert(conn, table, rows)
    else:
        conn.execute(insert(table), rows)


_AT_COMMIT = "casemgr.bulk.at_commit"  # session.info: [(table, rows), ...] waiting for the commit


def insert_at_commit(session: Session, table: Table, rows: list[dict]) -> None:
    """Queue ``rows`` (same keys each) for an INSERT just before the session commits.

    For rows nothing reads back in the same transaction -- a new case's first
    timeline entries, its acknowledgement, its escalation schedule: written
    with the others queued, they cost one statement on PostgreSQL (data-modifying
    WITH clauses) instead of one each, on the path of every case opened. The ORM's
    pending objects are flushed before them, so the rows may refer to those. A
    rollback drops them with everything else.
    """
    if rows:
        if not session.in_transaction():
            session.begin()  # the rows belong to a transaction: its end, committed or not, settles them
        session.info.setdefault(_AT_COMMIT, []).append((table, rows))


@event.listens_for(Session, "before_commit")
def _write_queued(session: Session) -> None:
    queued = session.info.pop(_AT_COMMIT, None)
    if queued:
        session.flush()
        insert_together(session.connection(), queued)


@event.listens_for(Session, "after_transaction_end")
def _drop_queued(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the session's own transaction ended without a commit
        session.info.pop(_AT_COMMIT, None)


def insert_together(conn: Connection, batches: list[tuple[Table, list[dict]]]) -> None:
    """Several tables' rows at once: on PostgreSQL the small batches in one statement."""
    if conn.dialect.name != "postgresql":
        for table, rows in batches:
            _sqlite_insert(conn, table, rows)
        return
    small = [(table, rows) for table, rows in batches if len(rows) < COPY_MIN_ROWS]
    for table, rows in batches:
        if len(rows) >= COPY_MIN_ROWS:
            _copy(conn, table, list(rows[0]), rows)
    if small:
        shape = tuple((table, tuple(rows[0]), len(rows)) for table, rows in small)
        params = [value for table, rows in small for row in _bound_rows(conn, table, list(rows[0]), rows)
                  for value in row]
        conn.exec_driver_sql(_combined_insert(conn.dialect.identifier_preparer, shape), tuple(params))


@lru_cache(maxsize=256)
def _combined_insert(quote: Any, shape: tuple[tuple[Table, tuple[str, ...], int], ...]) -> str:
    """``WITH w0 AS (INSERT ...), w1 AS (INSERT ...) INSERT ...``: one statement, one round
    trip. Each INSERT sees the rows as they were before the statement, so the batches
    must not refer to each other's rows (they refer to rows written earlier)."""
    *first, last = [insert_sql(quote, "%s", table, names, count) for table, names, count in shape]
    return ("WITH " + ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(first)) + " " + last) if first else last


def _sqlite_insert(conn: Connection, table: Table, rows: list[dict]) -> None:
    names = list(rows[0])
    conn.exec_driver_sql(insert_sql(conn.dialect.identifier_preparer, "?", table, names),
                         list(_bound_rows(conn, table, names, rows)))


def insert_sql(quote: Any, marker: str, table: Table, names: Sequence[str], rows: int = 1) -> str:
    """``INSERT INTO table (names) VALUES (...)``, ``rows`` rows of ``marker`` placeholders."""
    row = "(" + ", ".join(marker for _ in names) + ")"
    return (f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) "
            f"VALUES {', '.join(row for _ in range(rows))}")


def marker(dialect: Any) -> str:
    """The driver's positional placeholder, for SQL sent with exec_driver_sql."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


#: PostgreSQL column types (as SQLAlchemy compiles them) -> psycopg binary COPY types.
_BINARY_TYPES = {"INTEGER": "int4", "BIGINT": "int8", "SMALLINT": "int2", "BOOLEAN": "bool", "TEXT": "text",
                 "VARCHAR": "varchar", "TIMESTAMP WITH TIME ZONE": "timestamptz", "DATE": "date", "JSONB": "jsonb"}


def _copy(conn: Connection, table: Table, names: list[str], rows: list[dict]) -> None:
    """Binary COPY when every column has a known type (half the cost of text COPY)."""
    quote = conn.dialect.identifier_preparer
    compiler = conn.dialect.type_compiler_instance
    compiled = [compiler.process(table.c[n].type.dialect_impl(conn.dialect)).split("(")[0] for n in names]
    types = [_BINARY_TYPES.get(t) for t in compiled]
    binary = all(types)
    statement = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) FROM STDIN"
                 + (" (FORMAT BINARY)" if binary else ""))
    # Binary COPY dumps JSON documents itself; the text form needs the type's own conversion.
    convert = [n for n, t in zip(names, types) if t != "jsonb"] if binary else names
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        if binary:
            copy.set_types(types)
        for row in _bound_rows(conn, table, names, rows, convert):
            copy.write_row(row)


def _bound_rows(conn: Connection, table: Table, names: list[str], rows: list[dict],
                convert: list[str] | None = None) -> Iterator[Sequence[Any]]:
    """Rows as tuples in ``names`` order, the ``convert`` columns (default: all) bound by their type.

    Large batches convert equal values once (a runner's rows share their timestamps).
    """
    processors = _bind_processors(table, tuple(names), None if convert is None else frozenset(convert), conn.dialect)
    if len(rows) >= COPY_MIN_ROWS:
        processors = tuple((i, _converter(process)) for i, process in processors)
    pick = itemgetter(*names)
    for row in rows:
        values = pick(row)
        if len(names) == 1:
            values = (values,)
        if processors:
            values = list(values)
            for i, process in processors:
                if values[i] is not None:
                    values[i] = process(values[i])
            values = tuple(values)
        yield values


@lru_cache(maxsize=512)
def _bind_processors(table: Table, names: tuple[str, ...], convert: frozenset[str] | None,
                     dialect: Any) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, bind processor) of the columns whose type converts values, looked up once."""
    return tuple((i, process) for i, name in enumerate(names) if (convert is None or name in convert)
                 and (process := table.c[name].type._cached_bind_processor(dialect)) is not None)


def insert_returning(conn: Connection, table: Table, values: dict[str, Any], returning: str) -> Any:
    """One row's ``INSERT ... RETURNING returning``, its SQL built once per table and column
    set and its values bound by their types, as SQLAlchemy would bind them.

    For the hottest single-row write (every case opened), where compiling the
    parameters of a 30-column statement cost more than the INSERT itself.
    """
    names = tuple(values)
    return conn.exec_driver_sql(_single_insert(conn.dialect, table, names, returning),
                                bound_row(conn, table, names, values)).scalar_one()


def bound_row(conn: Connection, table: Table, names: Sequence[str], values: dict[str, Any]) -> Sequence[Any]:
    """One row's values in ``names`` order, bound by their column types (for exec_driver_sql)."""
    (params,) = _bound_rows(conn, table, list(names), [values])
    return params


@lru_cache(maxsize=256)
def _single_insert(dialect: Any, table: Table, names: tuple[str, ...], returning: str) -> str:
    quote = dialect.identifier_preparer
    return f"{insert_sql(quote, marker(dialect), table, names)} RETURNING {quote.quote(returning)}"


def _converter(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = process(value)
            return converted
        except TypeError:  # unhashable (JSON documents): convert each time
            return process(value)
    return convert
