"""Gap-free human numbers, safe under concurrent writers.

``UPDATE ... RETURNING`` takes the counter row's lock on PostgreSQL and the
database write lock on SQLite, so two transactions never get the same value.
No ORM object is ever loaded for a counter, and the bump is SQL written once
per dialect and sent as it is: it runs on every case and RMA opened, where
SQLAlchemy's per-statement execution costs more than the UPDATE itself.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.bulk import marker
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
