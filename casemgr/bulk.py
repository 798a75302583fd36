"""Insert many rows in one go, inside the session's transaction.

PostgreSQL gets a binary ``COPY ... FROM STDIN`` (two round trips for thousands
of rows, an order of magnitude faster than executemany), or one multi-row INSERT
for a handful of rows; SQLite a driver-level executemany. Values go through each column's SQLAlchemy type first, exactly as
an INSERT would bind them (UTC datetimes, JSON); equal values are converted
once (a batch's rows share their timestamps).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


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
        quote = conn.dialect.identifier_preparer
        conn.exec_driver_sql(f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) "
                             f"VALUES ({', '.join('?' for _ in names)})", list(_bound_rows(conn, table, names, rows)))
    else:
        conn.execute(insert(table), rows)


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
    """Rows as tuples in ``names`` order, the ``convert`` columns (default: all) bound by their type."""
    pick = itemgetter(*names)
    wanted = set(names if convert is None else convert)
    converters = [(i, _converter(process)) for i, name in enumerate(names) if name in wanted
                  and (process := table.c[name].type._cached_bind_processor(conn.dialect)) is not None]
    for row in rows:
        values = pick(row)
        if len(names) == 1:
            values = (values,)
        if converters:
            values = list(values)
            for i, convert in converters:
                if values[i] is not None:
                    values[i] = convert(values[i])
            values = tuple(values)
        yield values


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
