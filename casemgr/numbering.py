"""Gap-free human numbers, safe under concurrent writers.

``UPDATE ... RETURNING`` takes the counter row's lock on PostgreSQL and the
database write lock on SQLite, so two transactions never get the same value.
"""
from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.cases.models import Counter


def next_value(session: Session, name: str) -> int:
    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    value = session.execute(stmt).scalar_one_or_none()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(insert(Counter).values(name=name, value=1))
        return 1
    except IntegrityError:  # another writer created it first
        return session.execute(stmt).scalar_one()
