"""Case services on real SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from casemgr.cases import comments, opening, services
from casemgr.cases.attachments import LocalAttachmentStore, Upload
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ConflictError, ForbiddenError
from casemgr.notifications.models import Notification


@pytest.fixture
def store(tmp_path):
    return LocalAttachmentStore(tmp_path / "files", max_bytes=1024)


def open_for(session, world, store, now, *, who="acme_admin", serial="ACME-001", **kw):
    defaults = {"severity": 2, "subject": "Array degraded", "description": "Bay 2 shows amber."}
    defaults.update(kw)
    return opening.open_case(session, world.user(who), store, asset_serial=serial, now=now, **defaults)


def test_opening_a_case_numbers_it_and_records_who_and_when(session, world, store, clock):
    first = open_for(session, world, store, clock.now())
    second = open_for(session, world, store, clock.now())
    assert (first.number, second.number) == ("CS-000001", "CS-000002")
    assert first.entitled and first.contract.number == "C-ACME"
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == first.id)).all()
    assert kinds == ["opened"]


def test_an_opened_case_is_loaded_whole_and_edits_to_it_are_version_checked(session, world, store, clock):
    """The case goes in with one INSERT (not the unit of work): every column is set on the
    object returned, defaults included, and the optimistic lock starts at version 1."""
    case = open_for(session, world, store, clock.now())
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listen)
    try:
        seen = (
            case.status,
            case.queue,
            case.escalation_level,
            case.owner_id,
            case.version,
            case.closed_at,
            case.organization.name,
            case.asset.serial,
        )
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listen)
    assert statements == []
    assert seen == ("new", "L1", 0, None, 1, None, "Acme", "ACME-001")
    assert session.get(Case, case.id) is case
    services.change_severity(
        session, world.user("engineer"), case, severity=1, reason="outage", now=clock.now(), expected_version=1
    )
    assert session.scalar(select(Case.version).where(Case.id == case.id)) == case.version > 1
    with pytest.raises(ConflictError):
        services.change_severity(
            session, world.user("engineer"), case, severity=2, reason="stale", now=clock.now(), expected_version=1
        )


def test_the_opener_is_acknowledged_in_app_and_by_email_with_the_number_and_first_response_due(
    session, world, store, clock
):
    case = open_for(session, world, store, clock.now(), severity=1)
    admin = world.user("acme_admin")
    rows = session.scalars(
        select(Notification).where(Notification.case_id == case.id).order_by(Notification.channel)
    ).all()
    assert [(n.channel, n.user_id) for n in rows] == [("email", admin.id), ("in_app", admin.id)]
    assert rows[0].email == admin.email and rows[0].status == "pending"
    assert case.first_response_due_at is not None
    for n in rows:
        assert n.subject.startswith(f"[{case.number} S1] Received")
        assert f"first response is due by {case.first_response_due_at:%Y-%m-%d %H:%M} UTC" in n.body
    uncovered = open_for(session, world, store, clock.now(), who="globex_admin", serial="GLOBEX-OLD")
    note = session.scalar(
        select(Notification.body).where(Notification.case_id == uncovered.id, Notification.channel == "in_app")
    )
    assert "No active support contract" in note and "accepted" in note


def test_a_case_on_an_asset_without_active_contract_is_accepted_and_flagged(session, world, store, clock):
    case = open_for(session, world, store, clock.now(), who="globex_admin", serial="GLOBEX-OLD")
    assert case.status == "new" and case.entitled is False and case.contract_id is None
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert [e.kind for e in events] == ["opened", "not_entitled"]
    assert events[1].public and "GLOBEX-OLD" in events[1].body


def test_a_customer_cannot_open_a_case_on_another_organisations_asset(session, world, store, clock):
    with pytest.raises(CaseRuleError, match="No asset"):
        open_for(session, world, store, clock.now(), who="globex_admin", serial="ACME-001")
    session.rollback()
    assert session.scalar(select(Case)) is None


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("severity", 5, "Severity"),
        ("subject", "   ", "Subject is required"),
        ("description", "", "Description is required"),
        ("subject", "x" * 201, "too long"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(session, world, store, clock, field, value, message):
    with pytest.raises(CaseRuleError, match=message):
        open_for(session, world, store, clock.now(), **{field: value})
    session.rollback()
    assert session.scalar(select(Case)) is None


def test_attachments_are_stored_by_checksum_with_a_safe_name(session, world, store, clock):
    upload = Upload("../../etc/passwd log.txt", io.BytesIO(b"kernel: sd 0:0:4: I/O error\n"), "text/plain")
    case = open_for(session, world, store, clock.now(), uploads=[upload])
    attachment = session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    opened = session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.kind == "opened"))
    assert attachment.event_id == opened
    assert attachment.filename == "etc_passwd_log.txt"
    assert attachment.size == 28
    assert store.path_for(attachment.sha256).read_bytes() == b"kernel: sd 0:0:4: I/O error\n"


def test_an_oversize_attachment_refuses_the_whole_case(session, world, store, clock):
    upload = Upload("big.bin", io.BytesIO(b"x" * 2048))
    with pytest.raises(CaseRuleError, match="larger than"):
        open_for(session, world, store, clock.now(), uploads=[upload])
    session.rollback()
    assert session.scalar(select(Case)) is None


def test_internal_notes_and_public_replies_are_appended_in_order(session, world, store, clock):
    case = open_for(session, world, store, clock.now())
    engineer = world.user("engineer")
    comments.add_comment(
        session, engineer, store, case, body="Looking at it", public=True, now=clock.advance(timedelta(minutes=5))
    )
    comments.add_comment(
        session,
        engineer,
        store,
        case,
        body="Same batch as last week",
        public=False,
        now=clock.advance(timedelta(minutes=1)),
    )
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert [(e.kind, e.public, e.actor_id) for e in events] == [
        ("opened", True, world.user("acme_admin").id),
        ("comment", True, engineer.id),
        ("comment", False, engineer.id),
    ]


def test_a_customer_reply_is_always_public_and_resumes_a_waiting_case(session, world, store, clock):
    case = open_for(session, world, store, clock.now())
    services.change_status(
        session,
        world.user("engineer"),
        case,
        new_status="waiting_customer",
        expected_version=case.version,
        now=clock.now(),
    )
    event = comments.add_comment(
        session,
        world.user("acme_user"),
        store,
        case,
        body="Here are the logs",
        public=False,
        now=clock.advance(timedelta(hours=1)),
    )
    assert event.public is True
    assert case.status == "in_progress"


def test_a_stale_version_is_a_conflict_not_an_overwrite(session, world, store, clock):
    case = open_for(session, world, store, clock.now())
    seen = case.version
    services.change_status(
        session, world.user("engineer"), case, new_status="in_progress", expected_version=seen, now=clock.now()
    )
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.change_severity(
            session, world.user("engineer2"), case, severity=1, expected_version=seen, now=clock.now()
        )
    session.rollback()
    session.refresh(case)
    assert (case.status, case.severity) == ("in_progress", 2)


def test_two_sessions_updating_the_same_case_at_once_conflict(app, session, world, store, clock):
    from casemgr.db import new_session

    case = open_for(session, world, store, clock.now())
    with new_session(app) as other:
        theirs = other.get(Case, case.id)
        other.commit()  # the read ends (as a web request does); SQLite lets one writer in at a time
        mine = session.get(Case, case.id)
        services.change_status(
            session,
            world.user("engineer"),
            mine,
            new_status="in_progress",
            expected_version=mine.version,
            now=clock.now(),
        )
        with pytest.raises(ConflictError):
            services.change_severity(
                other,
                other.get(type(world.user("engineer2")), world.user("engineer2").id),
                theirs,
                severity=1,
                expected_version=theirs.version,
                now=clock.now(),
            )


def test_end_of_support_close_needs_a_handoff_to_the_account_manager(session, world, store, clock):
    case = open_for(session, world, store, clock.now())
    engineer = world.user("engineer")
    with pytest.raises(CaseRuleError, match="account manager"):
        services.close_case(
            session, engineer, case, reason="end_of_support", expected_version=case.version, now=clock.now()
        )
    session.rollback()
    with pytest.raises(CaseRuleError, match="path offered"):
        services.close_case(
            session,
            engineer,
            case,
            reason="end_of_support",
            expected_version=case.version,
            now=clock.now(),
            handoff_manager_id=world.user("account").id,
            handoff_path="",
        )
    session.rollback()
    services.close_case(
        session,
        engineer,
        case,
        reason="end_of_support",
        expected_version=case.version,
        now=clock.now(),
        handoff_manager_id=world.user("account").id,
        handoff_path="Trade-in to SA-4800 with three years of Premium support",
    )
    assert case.status == "closed" and case.close_reason == "end_of_support"
    handoff = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "handoff"))
    assert handoff.data["account_manager_id"] == world.user("account").id
    assert "Trade-in" in handoff.data["path"]


def test_end_of_support_close_is_refused_when_nobody_can_take_the_handoff(session, world, store, clock):
    case = open_for(session, world, store, clock.now(), who="globex_admin", serial="GLOBEX-001")
    with pytest.raises(CaseRuleError, match="no account manager"):
        services.close_case(
            session,
            world.user("engineer"),
            case,
            reason="end_of_support",
            expected_version=case.version,
            now=clock.now(),
            handoff_path="Upgrade path offered",
        )


def test_the_customer_confirms_a_resolution_and_the_case_closes(session, world, store, clock):
    case = open_for(session, world, store, clock.now())
    with pytest.raises(CaseRuleError, match="Only a resolved case"):
        services.confirm_resolution(
            session, world.user("acme_admin"), case, expected_version=case.version, now=clock.now()
        )
    session.rollback()
    services.change_status(
        session, world.user("engineer"), case, new_status="resolved", expected_version=case.version, now=clock.now()
    )
    services.confirm_resolution(session, world.user("acme_admin"), case, expected_version=case.version, now=clock.now())
    assert case.status == "closed" and case.close_reason == "confirmed" and case.closed_at == clock.now()


def test_customers_and_account_managers_cannot_work_cases(session, world, store, clock):
    case = open_for(session, world, store, clock.now())
    for who in ("acme_admin", "account", "field"):
        with pytest.raises(ForbiddenError):
            services.change_status(
                session, world.user(who), case, new_status="resolved", expected_version=case.version, now=clock.now()
            )
    with pytest.raises(ForbiddenError):
        comments.add_comment(session, world.user("account"), store, case, body="hi", public=True, now=clock.now())


def test_the_timeline_refuses_edits_and_deletes(session, world, store, clock):
    case = open_for(session, world, store, clock.now())
    event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    event.body = "rewritten history"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()
    session.delete(session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id)))
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()


def test_a_case_on_an_unsupported_product_closes_only_with_a_handoff_or_the_customers_word(
    session, world, store, clock
):
    """Past its end of support, no reason lets the vendor close the case quietly: the account
    manager takes the hand-off, or the customer confirms the resolution."""
    world.acme_asset.product.end_of_support_on = clock.now().date() - timedelta(days=1)
    session.commit()
    engineer, now = world.user("engineer"), clock.now()
    case = open_for(session, world, store, now)
    for reason in ("resolved", "duplicate", "customer_request"):
        with pytest.raises(CaseRuleError, match="not covered"):
            services.close_case(session, engineer, case, reason=reason, expected_version=case.version, now=now)
        session.rollback()
    services.change_status(
        session, engineer, case, new_status="resolved", expected_version=case.version, now=now, note="Replaced"
    )
    services.confirm_resolution(session, world.user("acme_admin"), case, expected_version=case.version, now=now)
    assert case.status == "closed" and case.close_reason == "confirmed"
    other = open_for(session, world, store, now)
    services.close_case(
        session,
        engineer,
        other,
        reason="end_of_support",
        expected_version=other.version,
        now=now,
        handoff_manager_id=world.user("account").id,
        handoff_path="Trade-in to SA-4800 with three years of Premium support",
    )
    assert other.status == "closed"
