"""Insert many rows in one go, inside the session's transaction.

PostgreSQL gets ``COPY ... FROM STDIN`` (one round trip for thousands of rows,
an order of magnitude faster than executemany); SQLite a driver-level
executemany. Values go through each column's SQLAlchemy type first, exactly as
an INSERT would bind them (UTC datetimes, JSON); equal values are converted
once (a batch's rows share their timestamps).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """``rows`` must all carry the same keys."""
    if not rows:
        return
    conn = session.connection()
    names = list(rows[0])
    dialect = conn.dialect.name
    if dialect == "postgresql":
        _copy(conn, table, names, _bound_rows(conn, table, names, rows))
    elif dialect == "sqlite":
        quote = conn.dialect.identifier_preparer
        conn.exec_driver_sql(f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) "
                             f"VALUES ({', '.join('?' for _ in names)})", list(_bound_rows(conn, table, names, rows)))
    else:
        conn.execute(insert(table), rows)


def _copy(conn: Connection, table: Table, names: list[str], values: Iterator[tuple]) -> None:
    quote = conn.dialect.identifier_preparer
    statement = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


def _bound_rows(conn: Connection, table: Table, names: list[str], rows: list[dict]) -> Iterator[tuple]:
    converters = [_converter(table.c[name].type._cached_bind_processor(conn.dialect)) for name in names]
    for row in rows:
        yield tuple(convert(row[name]) for name, convert in zip(names, converters))


def _converter(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if process is None:
        return lambda value: value
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = process(value)
            return converted
        except TypeError:  # unhashable (JSON documents): convert each time
            return process(value)
    return convert
