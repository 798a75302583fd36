"""Insert many rows in one go, inside the session's transaction.

From :data:`COPY_MIN_ROWS` rows on (the escalation runner's batches), PostgreSQL
gets a binary ``COPY ... FROM STDIN`` through psycopg's ``Cursor.copy`` (two round
trips for thousands of rows, an order of magnitude faster than executemany) and
SQLite the driver's own executemany; their values are bound by each column's
SQLAlchemy type first, exactly as an INSERT binds them (UTC datetimes, JSON), and
equal values once (a batch's rows share their timestamps). Fewer rows go as one
Core ``insert(table)`` executed with the list of rows.

Rows nothing reads back before the commit can also wait for it
(:func:`insert_at_commit`): those of one transaction are then written together,
on PostgreSQL in a single statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from casemgr.registry import registry_for

#: Below this many rows PostgreSQL gets an INSERT: COPY costs a round trip more.
COPY_MIN_ROWS = 20


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """``rows`` must all carry the same keys."""
    if rows:
        _insert_rows(session.connection(), table, rows)


def _insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    if len(rows) < COPY_MIN_ROWS:
        conn.execute(_insert(table), rows)
    elif conn.dialect.name == "postgresql":
        _copy(conn, table, list(rows[0]), rows)
    else:
        _executemany(conn, table, list(rows[0]), rows)


_AT_COMMIT = "casemgr.bulk.at_commit"  # session.info: [(table, rows), ...] waiting for the commit


def insert_at_commit(session: Session, table: Table, rows: list[dict]) -> None:
    """Queue ``rows`` (same keys each) for an INSERT just before the session commits.

    For rows nothing reads back in the same transaction -- a new case's first
    timeline entries, its acknowledgement, its escalation schedule: written
    with the others queued, they cost one statement on PostgreSQL (data-modifying
    WITH clauses) instead of one each, on the path of every case opened. The ORM's
    pending objects are flushed before them, so the rows may refer to those. A
    rollback drops them with everything else.

    Inside a SAVEPOINT (:meth:`Session.begin_nested`) the rows are written at once
    instead, so that they stand or fall with it: a rolled-back savepoint takes
    them along, as it takes every other change made in it. So are they in a session
    no app made (its factory carries the listeners that write the queue).
    """
    if not rows:
        return
    if session.in_nested_transaction() or registry_for(session) is None:
        session.flush()
        bulk_insert(session, table, rows)
        return
    if not session.in_transaction():
        session.begin()  # the rows belong to a transaction: its end, committed or not, settles them
    session.info.setdefault(_AT_COMMIT, []).append((table, rows))


def write_queued(session: Session) -> None:
    """``before_commit`` on every session of the app (casemgr.app): the queued rows go in."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT being released: the queue belongs to the outer transaction
    queued = session.info.pop(_AT_COMMIT, None)
    if queued:
        session.flush()
        insert_together(session.connection(), queued)


def drop_queued(session: Session, transaction: SessionTransaction) -> None:
    """``after_transaction_end``: a transaction that ended without a commit takes its queue along."""
    if transaction.parent is None:  # the session's own transaction ended without a commit
        session.info.pop(_AT_COMMIT, None)


def insert_together(conn: Connection, batches: list[tuple[Table, list[dict]]]) -> None:
    """Several tables' rows at once: on PostgreSQL the small batches in one statement."""
    postgresql, combined = conn.dialect.name == "postgresql", []
    for table, rows in batches:
        if postgresql and len(rows) < COPY_MIN_ROWS and _defaults_given(table, frozenset(rows[0])):
            combined.append((table, rows))
        else:
            _insert_rows(conn, table, rows)
    if combined:
        shape = tuple((table, tuple(rows[0]), len(rows)) for table, rows in combined)
        params = {
            f"w{b}_{r}_{c}": row[name]
            for b, (_table, names, _count) in enumerate(shape)
            for r, row in enumerate(combined[b][1])
            for c, name in enumerate(names)
        }
        conn.execute(_combined_insert(shape), params)


@lru_cache(maxsize=256)
def _insert(table: Table) -> Insert:
    """``insert(table)``, built once: executed with a list of rows, an executemany."""
    return insert(table)


@lru_cache(maxsize=256)
def _defaults_given(table: Table, names: frozenset[str]) -> bool:
    """Whether the rows name every column with a Python-side default: a data-modifying WITH
    clause cannot compute those itself (SQLAlchemy refuses to compile it)."""
    return all(column.key in names for column in table.columns if column.default is not None)


@lru_cache(maxsize=256)
def _combined_insert(shape: tuple[tuple[Table, tuple[str, ...], int], ...]) -> Insert:
    """``WITH w0 AS (INSERT INTO a ... SELECT ... UNION ALL SELECT ...), w1 AS (...) INSERT ...``:
    every batch (``shape``: its table, columns and number of rows) in one statement, one
    round trip. Built once per shape, and cached by SQLAlchemy as any other statement (a
    multi-row VALUES would be compiled anew each time). Column ``c`` of row ``r`` of batch
    ``b`` is the parameter ``w{b}_{r}_{c}``; a batch's rows are inserted in their order.
    Each INSERT sees the tables as they were before the statement, so the batches must not
    refer to each other's rows (they refer to rows written earlier)."""
    statements = []
    for b, (table, names, count) in enumerate(shape):
        rows = [
            select(*(bindparam(f"w{b}_{r}_{c}", type_=table.c[name].type) for c, name in enumerate(names)))
            for r in range(count)
        ]
        statements.append(insert(table).from_select(names, union_all(*rows) if count > 1 else rows[0]))
    *first, last = statements
    return last.add_cte(*(statement.cte(f"w{i}") for i, statement in enumerate(first))) if first else last


#: PostgreSQL column types (as SQLAlchemy compiles them) -> psycopg binary COPY types.
_BINARY_TYPES = {
    "INTEGER": "int4",
    "BIGINT": "int8",
    "SMALLINT": "int2",
    "BOOLEAN": "bool",
    "TEXT": "text",
    "VARCHAR": "varchar",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "DATE": "date",
    "JSONB": "jsonb",
}


def _copy(conn: Connection, table: Table, names: list[str], rows: list[dict]) -> None:
    """psycopg's ``COPY ... FROM STDIN``: binary when every column has a known type (half
    the cost of text COPY), on the connection of the session's transaction."""
    quote = conn.dialect.identifier_preparer
    types = [_BINARY_TYPES.get(table.c[n].type.compile(dialect=conn.dialect).split("(")[0]) for n in names]
    binary = all(types)
    statement = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) FROM STDIN" + (
        " (FORMAT BINARY)" if binary else ""
    )
    # Binary COPY dumps JSON documents itself; the text form needs the type's own conversion.
    convert = [n for n, t in zip(names, types, strict=True) if t != "jsonb"] if binary else names
    driver = conn.connection.driver_connection  # the psycopg connection of this transaction
    assert driver is not None, "a connection in a transaction has its driver connection"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        if binary:
            copy.set_types(types)
        for row in _bound_rows(conn, table, names, rows, convert):
            copy.write_row(row)


def _executemany(conn: Connection, table: Table, names: list[str], rows: list[dict]) -> None:
    """The driver's executemany of ``INSERT INTO table (names) VALUES (?, ...)`` (SQLite),
    the rows bound beforehand: SQLAlchemy's per-row parameter handling would cost more
    than SQLite's work on a runner's thousands of rows."""
    quote = conn.dialect.identifier_preparer
    marks = ", ".join("?" for _ in names)
    conn.exec_driver_sql(
        f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) VALUES ({marks})",
        list(_bound_rows(conn, table, names, rows, names)),
    )


def _bound_rows(
    conn: Connection, table: Table, names: list[str], rows: list[dict], convert: list[str]
) -> Iterator[Sequence[Any]]:
    """Rows as tuples in ``names`` order, the ``convert`` columns bound by their type.

    Equal values are converted once (a runner's rows share their timestamps).
    """
    processors = tuple(
        (i, _converter(process))
        for i, process in _bind_processors(table, tuple(names), frozenset(convert), conn.dialect)
    )
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
def _bind_processors(
    table: Table, names: tuple[str, ...], convert: frozenset[str], dialect: Any
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, bind processor) of the columns whose type converts values, looked up once:
    each type's own ``bind_processor`` for the dialect, as a compiled INSERT would use."""
    return tuple(
        (i, process)
        for i, name in enumerate(names)
        if name in convert and (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )


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
