"""Gap-free human numbers, safe under concurrent writers.

``UPDATE ... RETURNING`` takes the counter row's lock on PostgreSQL and the
database write lock on SQLite, so two transactions never get the same value.
No ORM object is ever loaded for a counter, and the bump is SQL written once
per dialect and sent as it is: it runs on every case and RMA opened, where
SQLAlchemy's per-statement execution costs more than the UPDATE itself. On
PostgreSQL a row numbered from a counter (:class:`Numbered`) is inserted in the
same statement as the bump.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.bulk import bound_row, insert_returning, marker
from casemgr.cases.models import Counter

_counter = Counter.__table__
_CREATE = insert(_counter).values(name=bindparam("counter_name"), value=1)


@cache
def _bump_sql(dialect: Dialect) -> str:
    quote = dialect.identifier_preparer
    value, name = quote.quote("value"), quote.quote("name")
    return (f"UPDATE {quote.format_table(_counter)} SET {value} = {value} + 1 WHERE {name} = {marker(dialect)}"
            f" RETURNING {value}")


def _bump(conn: Connection, name: str) -> int | None:
    return conn.exec_driver_sql(_bump_sql(conn.dialect), (name,)).scalar_one_or_none()


def next_value(session: Session, name: str) -> int:
    value = _bump(session.connection(), name)
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(_CREATE, {"counter_name": name})
        return 1
    except IntegrityError:  # another writer created it first
        value = _bump(session.connection(), name)
        assert value is not None
        return value


@dataclass(frozen=True)
class Numbered:
    """A column that holds a counter's next value as ``prefix`` + the value zero-padded
    to at least ``digits`` digits (``CS-000042``), for :func:`casemgr.db.insert_new`.

    On PostgreSQL the bump and the INSERT are one statement (a data-modifying WITH
    clause), one round trip fewer on every case opened; the number is then
    formatted by the database, as :meth:`format` does
    (tests/integration/test_numbering.py holds the two to each other). Elsewhere,
    or before the counter's first use, the bump is its own statement.
    """

    column: str
    counter: str
    prefix: str
    digits: int

    def format(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.digits}d}"

    def insert(self, session: Session, table: Table, values: dict[str, Any], returning: str) -> tuple[Any, str]:
        """INSERT the row of ``values`` (every column but this one) with the next number: (``returning``, number)."""
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            names = tuple(values)
            row = conn.exec_driver_sql(_numbered_insert_sql(conn.dialect, self, table, names, returning),
                                       (self.counter, *bound_row(conn, table, names, values))).first()
            if row is not None:
                return row[0], row[1]
            # No counter row yet: the statement inserted nothing; create it, then as below.
        number = self.format(next_value(session, self.counter))
        return insert_returning(conn, table, {**values, self.column: number}, returning), number


@lru_cache(maxsize=64)
def _numbered_insert_sql(dialect: Dialect, numbered: Numbered, table: Table, names: Sequence[str],
                         returning: str) -> str:
    """``WITH n AS (UPDATE counter ... RETURNING value) INSERT INTO t (number, ...) SELECT
    <number from n.value>, %s, ... FROM n RETURNING key, number``: no row when the counter
    does not exist. Each value is cast to its column's type (without length, so that
    a value too long is refused, not cut), since a SELECT list gives no type to a
    parameter as VALUES would."""
    quote, types = dialect.identifier_preparer, dialect.type_compiler_instance
    value = "n.value::text"
    prefix = numbered.prefix.replace("'", "''")
    number = f"'{prefix}' || lpad({value}, greatest({numbered.digits}, length({value})), '0')"
    casts = [f"CAST(%s AS {types.process(table.c[name].type.dialect_impl(dialect)).split('(')[0]})" for name in names]
    columns = ", ".join(quote.quote(name) for name in (numbered.column, *names))
    return (f"WITH n AS ({_bump_sql(dialect)}) INSERT INTO {quote.format_table(table)} ({columns}) "
            f"SELECT {', '.join([number, *casts])} FROM n "
            f"RETURNING {quote.quote(returning)}, {quote.quote(numbered.column)}")
