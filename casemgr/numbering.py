"""Gap-free human numbers, safe under concurrent writers.

``UPDATE ... RETURNING`` takes the counter row's lock on PostgreSQL and the
database write lock on SQLite, so two transactions never get the same value.
The statements are Core ones on the table (no ORM object is ever loaded for a
counter), built once: numbering sits on every case and RMA creation.
"""
from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.cases.models import Counter

_counter = Counter.__table__
_BUMP = (update(_counter).where(_counter.c.name == bindparam("counter_name"))
         .values(value=_counter.c.value + 1).returning(_counter.c.value))
_CREATE = insert(_counter).values(name=bindparam("counter_name"), value=1)


def next_value(session: Session, name: str) -> int:
    # On the connection, not session.execute: a Core statement gains nothing from the ORM's
    # execution path, which costs more than the UPDATE itself.
    value = session.connection().execute(_BUMP, {"counter_name": name}).scalar_one_or_none()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(_CREATE, {"counter_name": name})
        return 1
    except IntegrityError:  # another writer created it first
        return session.connection().execute(_BUMP, {"counter_name": name}).scalar_one()
