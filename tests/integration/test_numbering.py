"""Numbers taken from a counter by the same INSERT (casemgr.numbering.Numbered): gap-free,
formatted alike by the database and by Python, never a value cut short."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from casemgr.cases import rules
from casemgr.cases.models import Case, Counter
from casemgr.cases.services import CASE_NUMBER
from casemgr.db import insert_new
from casemgr.numbering import next_value
from tests.integration.test_bulk import Statements

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def _new_case(world, subject: str = "Disk failed") -> Case:
    return Case(organization_id=world.acme.id, asset_id=world.acme_asset.id, severity=2, status="new",
                subject=subject, description="d", channel="api", created_at=T0, updated_at=T0)


def _counter(session) -> int | None:
    return session.scalar(select(Counter.value).where(Counter.name == "case"))


def test_the_first_number_creates_the_counter_and_the_next_ones_follow_it(session, world):
    session.execute(Counter.__table__.delete().where(Counter.name == "case"))
    numbers = []
    for _ in range(3):
        case = _new_case(world)
        insert_new(session, case, CASE_NUMBER)
        numbers.append(case.number)
    session.commit()
    assert numbers == ["CS-000001", "CS-000002", "CS-000003"]
    stored = session.scalars(select(Case.number).where(Case.number.in_(numbers)).order_by(Case.id)).all()
    assert stored == numbers, "the object holds the number its row was written with"
    assert _counter(session) == 3


def test_the_bump_and_the_insert_are_one_statement_on_postgresql_two_on_sqlite(session, world):
    insert_new(session, _new_case(world), CASE_NUMBER)  # the counter exists from here on
    statements = Statements(session)
    try:
        insert_new(session, _new_case(world), CASE_NUMBER)
    finally:
        statements.close()
    assert len(statements.sent) == (1 if session.get_bind().dialect.name == "postgresql" else 2)


@pytest.mark.parametrize("before", [41, 999_998, 999_999, 12_345_677])
def test_the_database_formats_the_number_as_the_rules_do(session, world, before):
    next_value(session, "case")  # the counter exists
    session.execute(update(Counter).where(Counter.name == "case").values(value=before))
    case = _new_case(world)
    insert_new(session, case, CASE_NUMBER)
    session.commit()
    assert case.number == rules.format_case_number(before + 1) == CASE_NUMBER.format(before + 1)
    assert session.scalar(select(Case.number).where(Case.id == case.id)) == case.number


def test_a_rolled_back_insert_gives_its_number_back(session, world):
    insert_new(session, _new_case(world), CASE_NUMBER)
    session.commit()
    taken = _counter(session)
    case = _new_case(world)
    insert_new(session, case, CASE_NUMBER)
    lost = case.number
    session.rollback()
    again = _new_case(world)
    insert_new(session, again, CASE_NUMBER)
    session.commit()
    assert again.number == lost == CASE_NUMBER.format(taken + 1), "no gap"


def test_a_value_too_long_is_refused_or_kept_whole_never_cut(session, world):
    too_long = "x" * (Case.__table__.c.subject.type.length + 1)
    insert_new(session, _new_case(world), CASE_NUMBER)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            insert_new(session, _new_case(world, too_long), CASE_NUMBER)
        session.rollback()
    else:  # SQLite does not enforce VARCHAR lengths: the text is stored whole
        case = _new_case(world, too_long)
        insert_new(session, case, CASE_NUMBER)
        session.commit()
        assert session.scalar(select(Case.subject).where(Case.id == case.id)) == too_long
