"""Database plumbing held to what it promises, by behaviour: an entity built from a Core row
is the persistent object the ORM would have loaded, and opening a case costs a fixed handful
of statements, whose rows the caller then reads without another query."""

from __future__ import annotations

import pytest
from sqlalchemy import event, inspect, select

from casemgr.assets.models import Asset
from casemgr.cases import opening
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Case, CaseEvent
from casemgr.db import EntityColumns, insert_one, new_session
from casemgr.notifications.models import Notification
from casemgr.organizations.models import Organization
from escalation import context
from escalation.defaults import seed_default_ladders
from escalation.models import EscalationSchedule
from tests.conftest import T0


class Statements:
    """The SQL sent through an engine while it is open (a context manager)."""

    def __init__(self, session):
        self.engine = session.get_bind()
        self.sent: list[str] = []

    def _seen(self, _conn, _cursor, statement, _params, _context, _many):
        self.sent.append(" ".join(statement.split()))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self.sent

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def store(tmp_path):
    return LocalAttachmentStore(tmp_path / "files", max_bytes=1024)


@pytest.fixture
def ladders(world, session):
    seed_default_ladders(session)


@pytest.mark.commits  # a second session, independent of the first
def test_an_entity_built_from_a_core_row_is_what_the_orm_would_have_loaded(app, session, world):
    columns = EntityColumns(Asset, "a_")
    row = session.connection().execute(select(*columns.columns).where(Asset.__table__.c.serial == "ACME-001")).one()
    other = new_session(app)
    try:
        with Statements(other) as sent:
            asset = columns.load(other, row)
            values = {k: getattr(asset, k) for k in columns.keys}
        assert sent == [], "every column is loaded"
        orm = session.scalars(select(Asset).where(Asset.serial == "ACME-001")).one()
        assert values == {k: getattr(orm, k) for k in columns.keys}
        state, orm_state = inspect(asset), inspect(orm)
        assert state.persistent and state.identity == orm_state.identity and asset in other
        assert state.unloaded == set(inspect(Asset).relationships.keys()), "relationships: not loaded yet"
        assert not other.new and not other.dirty and not state.modified
        assert columns.load(other, row) is asset and other.get(Asset, asset.id) is asset

        site, components = orm.site.name, [c.serial for c in orm.components]
        with Statements(other) as sent:
            assert asset.site.name == site and len(sent) == 1, "relationships load lazily, as loaded ones do"
            assert [c.serial for c in asset.components] == components and len(sent) == 2
        asset.degraded = True
        assert list(other.dirty) == [asset]
        with Statements(other) as sent:
            other.commit()
        assert [s for s in sent if s.startswith("UPDATE")] and not [s for s in sent if s.startswith("INSERT")]
        session.expire_all()
        assert session.get(Asset, asset.id).degraded is True
        other.expire(asset)
        assert asset.degraded is True  # expired and reloaded like any persistent object
    finally:
        other.close()
    assert inspect(asset).detached


def test_an_entity_the_session_already_holds_is_returned_as_it_is(app, session, world):
    columns = EntityColumns(Asset, "a_")
    row = session.connection().execute(select(*columns.columns).where(Asset.__table__.c.serial == "ACME-001")).one()
    held = session.get(Asset, row.a_id)
    held.degraded = True  # a pending change the row does not know about
    assert columns.load(session, row) is held and held.degraded is True and held in session.dirty


@pytest.mark.commits  # counts the statements of real transactions (no SAVEPOINTs)
def test_a_row_inserted_by_insert_one_is_loaded_whole_and_leaves_nothing_to_flush(app, session, world):
    org = Organization(name="Initech", created_at=world.acme.created_at)
    keys = [prop.key for prop in inspect(Organization).column_attrs]
    with Statements(session) as sent:
        insert_one(session, org)
        values = {key: getattr(org, key) for key in keys}  # defaults and the id included
        session.commit()
    assert _kinds(sent) == ["INSERT"], "one INSERT, every column known after it, nothing left to flush"
    assert inspect(org).persistent and session.get(Organization, org.id) is org
    fresh = new_session(app)
    try:
        assert {key: getattr(fresh.get(Organization, org.id), key) for key in keys} == values
    finally:
        fresh.close()
    org.name = "Initech Ltd"
    with Statements(session) as sent:
        session.commit()
    assert _kinds(sent) == ["UPDATE"], "later edits are the unit of work's, as for any loaded object"
    assert session.scalar(select(Organization.name).where(Organization.id == org.id)) == "Initech Ltd"


def _open(session, world, store, clock, **kw):
    values = {"severity": 2, "subject": "Array degraded", "description": "Bay 2 shows amber."} | kw
    return opening.open_case(
        session, world.user("acme_admin"), store, asset_serial="ACME-001", now=clock.now(), **values
    )


def _kinds(sent: list[str]) -> list[str]:
    return [s.split()[0] for s in sent]


@pytest.mark.commits  # counts the statements of real transactions (no SAVEPOINTs)
def test_opening_a_case_costs_a_fixed_handful_of_statements(session, world, store, clock, ladders, monkeypatch):
    monkeypatch.setattr(context, "LADDER_RECHECK_SECONDS", 3600)  # the ladders are cached, as in a running process
    _open(session, world, store, clock)  # the counter exists and the ladders are cached from here on
    with Statements(session) as sent:
        case = _open(session, world, store, clock)
    postgresql = session.get_bind().dialect.name == "postgresql"
    # The asset with its contract, plan and calendar; the number; the case; then, at the commit,
    # its timeline entry, its escalation schedule and its acknowledgement: one statement on
    # PostgreSQL (data-modifying WITH clauses), one per table on SQLite.
    assert _kinds(sent) == ["SELECT", "UPDATE", "INSERT"] + (["WITH"] if postgresql else ["INSERT"] * 3), sent
    assert "FROM asset" in sent[0] and "counter" in sent[1] and sent[2].startswith("INSERT INTO support_case")
    assert session.scalar(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)) == "opened"
    assert session.scalar(select(EscalationSchedule.next_check_at).where(EscalationSchedule.case_id == case.id))
    assert session.scalars(
        select(Notification.channel).where(Notification.case_id == case.id).order_by(Notification.channel)
    ).all() == ["email", "in_app"]


def test_an_opened_case_comes_back_with_what_its_callers_read_already_loaded(session, world, store, clock, ladders):
    case = _open(session, world, store, clock)
    with Statements(session) as sent:
        read = (
            case.number,
            case.status,
            case.version,
            case.owner_id,
            case.first_response_due_at is not None,
            case.organization.name,
            case.asset.serial,
            case.asset.site.timezone,
            case.contract.number,
            case.contract.plan.code,
            case.contract.plan.calendar.always,
        )
    assert sent == [], "the API's representation and the clocks read these without a query"
    assert read[:4] == ("CS-000001", "new", 1, None) and read[4] and read[5:7] == ("Acme", "ACME-001")
    assert session.get(Case, case.id) is case and not session.dirty and not session.new


def test_a_triage_case_goes_in_through_the_same_path(session, world, store, clock, ladders):
    with Statements(session) as sent:
        case = opening.open_triage_case(
            session,
            organization_id=world.acme.id,
            opened_by=world.user("acme_admin"),
            severity=3,
            subject="No serial",
            description="Something broke",
            now=clock.now(),
            channel="email",
            requester="admin@acme.example.com",
        )
    assert [s for s in sent if s.startswith("INSERT INTO support_case")], "one INSERT of the case, as the portal's"
    assert session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all() == [
        "opened",
        "triage",
    ]
    assert session.scalar(select(EscalationSchedule.case_id).where(EscalationSchedule.case_id == case.id))


@pytest.mark.commits  # builds a Database of its own, on the committed tables
def test_sessions_joined_to_an_outer_transaction_keep_nothing_once_it_is_rolled_back(db_url):
    """``Database.sessions_joined``: a session's commit only releases its savepoint, a later
    session on the connection sees it, and the outer rollback takes everything back; then the
    factories are on their engines again and commit for good."""
    from casemgr.db import Database, make_engine

    db, outer_engine = Database(db_url), make_engine(db_url, sqlite_immediate=True)
    try:
        with outer_engine.connect() as connection:
            with pytest.raises(ValueError, match="inside a transaction"), db.sessions_joined(connection):
                pass
            transaction = connection.begin()
            with db.sessions_joined(connection):
                with db.write_session_factory() as writer:
                    writer.add(Organization(name="Joined", created_at=T0))
                    writer.commit()
                with db.session_factory() as reader:
                    assert reader.scalars(select(Organization.name)).all() == ["Joined"]
                with db.write_session_factory() as undone:
                    undone.add(Organization(name="Rolled back", created_at=T0))
                    undone.flush()
                    undone.rollback()  # back to its savepoint only
                with db.session_factory() as reader:
                    assert reader.scalars(select(Organization.name)).all() == ["Joined"]
            transaction.rollback()
        with db.write_session_factory() as writer:
            assert writer.scalars(select(Organization.name)).all() == []
            writer.add(Organization(name="Committed", created_at=T0))
            writer.commit()
        with db.session_factory() as reader:
            assert reader.scalars(select(Organization.name)).all() == ["Committed"]
    finally:
        db.dispose()
        outer_engine.dispose()
