"""Case numbers: one counter and one spelling (the rules') for every channel, gap-free."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from casemgr.cases import opening, rules
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Case, Counter
from casemgr.numbering import next_value

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    return LocalAttachmentStore(tmp_path / "files", max_bytes=1024)


def _portal(session, world, store, subject: str = "Disk failed") -> Case:
    return opening.open_case(
        session,
        world.user("acme_admin"),
        store,
        asset_serial="ACME-001",
        severity=2,
        subject=subject,
        description="Bay 2 shows amber.",
        now=T0,
    )


def _triage(session, world) -> Case:
    return opening.open_triage_case(
        session,
        organization_id=world.acme.id,
        opened_by=world.user("acme_admin"),
        severity=3,
        subject="No serial",
        description="Something broke",
        now=T0,
        channel="email",
        requester="admin@acme.example.com",
    )


def _counter(session) -> int | None:
    return session.scalar(select(Counter.value).where(Counter.name == "case"))


def test_the_rules_spell_a_number_as_the_prefix_and_at_least_six_digits():
    assert rules.format_case_number(1) == f"{rules.CASE_NUMBER_PREFIX}000001" == "CS-000001"
    assert rules.format_case_number(999_999) == "CS-999999"
    assert rules.format_case_number(1_000_000) == "CS-1000000", "more digits, never cut"


def test_the_first_number_creates_the_counter_and_the_next_ones_follow_it(session, world):
    session.execute(Counter.__table__.delete().where(Counter.name == "case"))
    assert [next_value(session, "case") for _ in range(3)] == [1, 2, 3]
    session.commit()
    assert _counter(session) == 3


def test_every_channel_takes_the_next_number_of_one_counter_spelled_by_the_rules(session, world, store):
    opened = [_portal(session, world, store), _triage(session, world), _portal(session, world, store)]
    assert [case.number for case in opened] == [rules.format_case_number(n) for n in (1, 2, 3)]
    stored = session.scalars(select(Case.number).order_by(Case.id)).all()
    assert stored == [case.number for case in opened], "the object holds the number its row was written with"
    assert _counter(session) == 3


@pytest.mark.parametrize("before", [41, 999_998, 999_999, 12_345_677])
def test_numbers_keep_their_spelling_past_six_digits(session, world, store, before):
    next_value(session, "case")  # the counter exists
    session.execute(update(Counter).where(Counter.name == "case").values(value=before))
    session.commit()
    case = _portal(session, world, store)
    assert case.number == rules.format_case_number(before + 1)
    assert session.scalar(select(Case.number).where(Case.id == case.id)) == case.number


def test_a_case_opening_rolled_back_gives_its_number_back(session, world, store, monkeypatch):
    _portal(session, world, store)

    def fail(*_args, **_kwargs):
        raise RuntimeError("the acknowledgement could not be queued")

    monkeypatch.setattr(opening, "_acknowledge", fail)
    with pytest.raises(RuntimeError):
        _portal(session, world, store, subject="lost")
    session.rollback()
    monkeypatch.undo()
    again = _portal(session, world, store, subject="kept")
    assert again.number == rules.format_case_number(2), "no gap"
    assert session.scalars(select(Case.subject).order_by(Case.id)).all() == ["Disk failed", "kept"]
