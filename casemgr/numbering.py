"""Gap-free human numbers, safe under concurrent writers.

``UPDATE ... RETURNING`` takes the counter row's lock on PostgreSQL and the
database write lock on SQLite, so two transactions never get the same value;
a rollback gives the value back. No ORM object is ever loaded for a counter:
the bump is one Core statement, built once. The caller formats the value
(e.g. :func:`casemgr.cases.rules.format_case_number`).
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.cases.models import Counter

_counter = Counter.__table__
_BUMP = (
    update(_counter)
    .where(_counter.c.name == bindparam("counter_name"))
    .values(value=_counter.c.value + 1)
    .returning(_counter.c.value)
)
_CREATE = insert(_counter).values(name=bindparam("counter_name"), value=1)


def _bump(session: Session, name: str) -> int | None:
    return session.connection().execute(_BUMP, {"counter_name": name}).scalar_one_or_none()


def next_value(session: Session, name: str) -> int:
    """The counter ``name``'s next value (1 for a counter never used), in the session's transaction."""
    value = _bump(session, name)
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.connection().execute(_CREATE, {"counter_name": name})
        return 1
    except IntegrityError:  # another writer created it first
        value = _bump(session, name)
        assert value is not None
        return value
