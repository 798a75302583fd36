"""Rows queued for the commit (casemgr.bulk.insert_at_commit): written together, never early, never after a
rollback, and never when the SAVEPOINT they were queued in is rolled back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from casemgr.bulk import COPY_MIN_ROWS, insert_at_commit
from casemgr.cases.models import Case, CaseEvent
from casemgr.db import new_session
from casemgr.notifications.models import Notification
from tests.factories import create_asset, create_user

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Statements:
    def __init__(self, session):
        self.sent: list[str] = []
        self.engine = session.get_bind()
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _params, _context, _many):
        self.sent.append(statement)

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def engineer(session):
    return create_user(session, "support_engineer")


@pytest.fixture
def asset(session):
    """An asset of a partner: these tests need no more than that and a user."""
    return create_asset(session)


def _case(session, asset) -> Case:
    case = Case(
        number="CS-900001",
        organization_id=asset.organization_id,
        asset_id=asset.id,
        severity=2,
        status="new",
        subject="Disk failed",
        description="d",
        channel="portal",
        created_at=T0,
        updated_at=T0,
    )
    session.add(case)
    session.flush()
    return case


def _notification(user, i: int) -> dict:
    return {
        "user_id": user.id,
        "email": None,
        "channel": "in_app",
        "case_id": None,
        "severity": None,
        "subject": f"message {i}",
        "body": "",
        "status": "sent",
        "attempts": 0,
        "sent_at": T0,
        "next_attempt_at": T0 + timedelta(minutes=i),
        "created_at": T0,
    }


def test_queued_rows_of_several_tables_are_written_at_the_commit_in_one_statement(session, engineer, asset):
    case = _case(session, asset)
    session.commit()
    user = engineer
    insert_at_commit(
        session,
        CaseEvent.__table__,
        [
            {
                "case_id": case.id,
                "kind": "opened",
                "actor_id": user.id,
                "public": True,
                "body": "first",
                "data": {"severity": 2, "subject": "Disk ✓"},
                "created_at": T0,
            },
            {
                "case_id": case.id,
                "kind": "not_entitled",
                "actor_id": None,
                "public": False,
                "body": "second",
                "data": {},
                "created_at": T0 + timedelta(seconds=1),
            },
        ],
    )
    insert_at_commit(session, Notification.__table__, [_notification(user, 1), _notification(user, 2)])
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0, "nothing is written before the commit"
    statements = Statements(session)
    try:
        session.commit()
    finally:
        statements.close()
    inserts = [s for s in statements.sent if "INSERT" in s.upper()]
    assert len(inserts) == (1 if session.get_bind().dialect.name == "postgresql" else 2)
    events = session.execute(
        select(CaseEvent.kind, CaseEvent.public, CaseEvent.data, CaseEvent.created_at).order_by(CaseEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        ("opened", True, {"severity": 2, "subject": "Disk ✓"}, T0),
        ("not_entitled", False, {}, T0 + timedelta(seconds=1)),
    ]
    due = session.scalars(select(Notification.next_attempt_at).order_by(Notification.id)).all()
    assert due == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]


def test_queued_rows_are_dropped_by_a_rollback_and_never_written_by_a_later_commit(session, engineer):
    user = engineer
    session.commit()
    insert_at_commit(session, Notification.__table__, [_notification(user, 1)])
    session.rollback()
    session.commit()
    insert_at_commit(session, Notification.__table__, [_notification(user, 2)])
    session.close()  # ends the transaction without a commit, as a failed request does
    session.commit()
    assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_queued_rows_may_refer_to_objects_added_in_the_same_transaction(session, asset):
    case = Case(
        number="CS-900002",
        organization_id=asset.organization_id,
        asset_id=asset.id,
        severity=3,
        status="new",
        subject="Fan noise",
        description="d",
        channel="portal",
        created_at=T0,
        updated_at=T0,
    )
    session.add(case)
    session.flush()
    insert_at_commit(
        session,
        CaseEvent.__table__,
        [
            {
                "case_id": case.id,
                "kind": "opened",
                "actor_id": None,
                "public": True,
                "body": "",
                "data": {},
                "created_at": T0,
            }
        ],
    )
    case.subject = "Fan noise, loud"  # a pending change is flushed with the commit, before the queued rows
    session.commit()
    assert session.scalar(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)) == "opened"
    assert session.scalar(select(Case.subject).where(Case.id == case.id)) == "Fan noise, loud"


def test_a_large_queued_batch_is_copied_beside_the_small_ones(session, engineer, asset):
    user = engineer
    case = _case(session, asset)
    rows = [_notification(user, i) for i in range(COPY_MIN_ROWS + 5)]
    insert_at_commit(session, Notification.__table__, rows)
    insert_at_commit(
        session,
        CaseEvent.__table__,
        [
            {
                "case_id": case.id,
                "kind": "opened",
                "actor_id": None,
                "public": True,
                "body": "",
                "data": {},
                "created_at": T0,
            }
        ],
    )
    session.commit()
    assert session.scalar(select(func.count()).select_from(Notification)) == COPY_MIN_ROWS + 5
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 1


def _subjects(session) -> list[str]:
    return sorted(session.scalars(select(Notification.subject)))


@pytest.fixture
def writer(app, session):
    """A session that writes: on SQLite its transactions are real from BEGIN on, which
    SAVEPOINTs need (the driver's own lazy transactions would let RELEASE commit)."""
    session = new_session(app, write=True)
    yield session
    session.close()


def test_rows_queued_inside_a_savepoint_that_is_rolled_back_are_not_written(writer, engineer):
    user = engineer
    insert_at_commit(writer, Notification.__table__, [_notification(user, 1)])  # before the savepoint: kept
    savepoint = writer.begin_nested()
    insert_at_commit(writer, Notification.__table__, [_notification(user, 2), _notification(user, 3)])
    savepoint.rollback()
    with pytest.raises(RuntimeError), writer.begin_nested():
        insert_at_commit(writer, Notification.__table__, [_notification(user, 4)])
        raise RuntimeError("the step inside the savepoint failed")
    insert_at_commit(writer, Notification.__table__, [_notification(user, 5)])  # after it: kept
    writer.commit()
    assert _subjects(writer) == ["message 1", "message 5"]


def test_rows_queued_inside_a_released_savepoint_are_written_with_the_transaction(writer, engineer):
    user = engineer
    with writer.begin_nested():
        insert_at_commit(writer, Notification.__table__, [_notification(user, 1)])
        with writer.begin_nested():
            insert_at_commit(writer, Notification.__table__, [_notification(user, 2)])
    insert_at_commit(writer, Notification.__table__, [_notification(user, 3)])
    writer.commit()
    assert _subjects(writer) == ["message 1", "message 2", "message 3"]


def test_rows_of_a_released_savepoint_go_when_the_transaction_around_it_rolls_back(writer, engineer):
    user = engineer
    insert_at_commit(writer, Notification.__table__, [_notification(user, 1)])
    with writer.begin_nested():
        insert_at_commit(writer, Notification.__table__, [_notification(user, 2)])
    writer.rollback()
    writer.commit()
    assert _subjects(writer) == []


def test_rows_queued_inside_a_savepoint_may_refer_to_objects_added_in_it(writer, asset):
    with writer.begin_nested():
        case = Case(
            number="CS-900003",
            organization_id=asset.organization_id,
            asset_id=asset.id,
            severity=3,
            status="new",
            subject="Fan noise",
            description="d",
            channel="portal",
            created_at=T0,
            updated_at=T0,
        )
        writer.add(case)
        writer.flush()
        case.subject = "Fan noise, loud"  # a pending change: flushed before the rows are written
        insert_at_commit(
            writer,
            CaseEvent.__table__,
            [
                {
                    "case_id": case.id,
                    "kind": "opened",
                    "actor_id": None,
                    "public": True,
                    "body": "",
                    "data": {},
                    "created_at": T0,
                }
            ],
        )
        assert not writer.dirty
    writer.commit()
    assert writer.scalar(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)) == "opened"


def test_queued_rows_without_their_columns_defaults_are_still_written_with_the_others(session, engineer, asset):
    user = engineer
    case = _case(session, asset)
    row = _notification(user, 1)
    del row["body"], row["attempts"]  # columns with a Python-side default, left to it
    insert_at_commit(session, Notification.__table__, [row])
    insert_at_commit(
        session,
        CaseEvent.__table__,
        [
            {
                "case_id": case.id,
                "kind": "opened",
                "actor_id": None,
                "public": True,
                "body": "",
                "data": {},
                "created_at": T0,
            }
        ],
    )
    session.commit()
    assert session.execute(select(Notification.body, Notification.attempts)).one() == ("", 0)
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 1
