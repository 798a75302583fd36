"""SLA clocks and the escalation ladder, with a moved clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from casemgr.auth.models import User
from casemgr.cases import comments, commitments, opening, services
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ForbiddenError
from casemgr.notifications.models import Notification
from casemgr.registry import registry_of
from escalation import actions
from escalation.defaults import seed_default_ladders
from escalation.models import EscalationFiring, EscalationLadder, EscalationSchedule, EscalationStep
from escalation.services import Settings, request_escalation, run_due

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday
SETTINGS = Settings()


@pytest.fixture
def store(tmp_path):
    return LocalAttachmentStore(tmp_path / "files", 10 * 1024 * 1024)


@pytest.fixture
def ladders(world, session):
    seed_default_ladders(session)


@pytest.fixture
def run(app):
    factory = registry_of(app).db.write_session_factory

    def run_at(at: datetime):
        return run_due(factory, at, SETTINGS)

    return run_at


def open_case(session, world, store, at, *, who="acme_admin", serial="ACME-001", severity=1):
    return opening.open_case(
        session,
        world.user(who),
        store,
        asset_serial=serial,
        severity=severity,
        subject="Array down",
        description="All LUNs offline",
        now=at,
    )


def fired_names(session, case) -> list[str]:
    rows = session.execute(
        select(EscalationStep.name)
        .join(EscalationFiring, EscalationFiring.step_id == EscalationStep.id)
        .where(EscalationFiring.case_id == case.id)
        .order_by(EscalationFiring.id)
    )
    return [name for (name,) in rows]


def reload(session, case) -> Case:
    session.expire_all()
    return session.get(Case, case.id)


def version(session, case) -> int:
    return reload(session, case).version


def test_severity_1_on_premium_24x7_climbs_the_ladder_pauses_and_stops(session, world, store, ladders, run):
    case = open_case(session, world, store, T0)
    assert case.first_response_due_at == T0 + timedelta(minutes=30)
    assert case.resolution_due_at == T0 + timedelta(minutes=240)
    assert run(T0 + timedelta(minutes=14)).fired == 0
    run(T0 + timedelta(minutes=15))
    assert fired_names(session, case) == ["Remind the owner"]
    run(T0 + timedelta(minutes=30))
    case = reload(session, case)
    assert fired_names(session, case)[-1] == "Page L2 on call" and case.queue == "L2"

    engineer = world.user("engineer")
    comments.add_comment(
        session, engineer, store, case, body="Looking now", public=True, now=T0 + timedelta(minutes=35)
    )
    assert run(T0 + timedelta(minutes=50)).fired == 0, "the reply stopped the acknowledgement branch"
    case = reload(session, case)
    assert case.escalation_level == 0 and case.first_response_breached is True

    services.change_status(
        session,
        engineer,
        case,
        new_status="waiting_customer",
        expected_version=case.version,
        now=T0 + timedelta(minutes=40),
    )
    case = reload(session, case)
    assert case.sla_paused_at == T0 + timedelta(minutes=40) and case.resolution_due_at is None
    assert run(T0 + timedelta(hours=4)).fired == 0, "nothing runs while waiting on the customer"

    comments.add_comment(
        session, world.user("acme_admin"), store, case, body="Logs attached", public=True, now=T0 + timedelta(hours=5)
    )
    case = reload(session, case)
    assert case.status == "in_progress" and case.sla_paused_at is None
    # 240 min target + the 4 h 20 min spent waiting on the customer.
    assert case.resolution_due_at == T0 + timedelta(hours=8, minutes=20)
    assert case.next_update_due_at == T0 + timedelta(hours=5, minutes=55)
    run(T0 + timedelta(hours=6))
    assert fired_names(session, case)[-1] == "Update overdue: remind the owner"

    services.change_status(
        session,
        engineer,
        case,
        new_status="resolved",
        expected_version=version(session, case),
        now=T0 + timedelta(hours=6, minutes=10),
    )
    before = len(fired_names(session, case))
    assert run(T0 + timedelta(days=2)).fired == 0
    assert len(fired_names(session, case)) == before
    assert session.get(EscalationSchedule, case.id).next_check_at is None
    assert reload(session, case).resolution_breached is False


def test_the_same_story_on_standard_8x5_waits_for_monday_business_hours(session, world, store, ladders, run):
    friday_evening = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)  # 19:00 in Berlin
    case = open_case(session, world, store, friday_evening, who="globex_admin", serial="GLOBEX-001")
    monday_0800_berlin = datetime(2026, 11, 9, 7, 0, tzinfo=UTC)
    assert case.first_response_due_at == monday_0800_berlin + timedelta(minutes=30)
    assert run(datetime(2026, 11, 7, 12, 0, tzinfo=UTC)).fired == 0
    assert run(monday_0800_berlin + timedelta(minutes=14)).fired == 0
    run(monday_0800_berlin + timedelta(minutes=15))
    assert fired_names(session, case) == ["Remind the owner"]
    run(monday_0800_berlin + timedelta(minutes=30))
    run(monday_0800_berlin + timedelta(minutes=46))
    assert fired_names(session, case) == ["Remind the owner", "Page L2 on call", "Page the duty manager"]
    late = session.scalars(select(EscalationFiring.late_seconds).where(EscalationFiring.case_id == case.id)).all()
    assert late == [0, 0, 0], "each was fired by a pass within two minutes of its due time"


def test_every_level_fires_in_turn(session, world, store, ladders, run):
    case = open_case(session, world, store, T0)
    expected = [
        (15, "Remind the owner", 0, "L1"),
        (30, "Page L2 on call", 0, "L2"),
        (45, "Page the duty manager", 1, "L2"),
        (180, "Resolution at risk: L3 engineering", 1, "L3"),
        (240, "Resolution breached: support manager", 2, "L3"),
        (480, "Resolution far overdue: director", 3, "L3"),
    ]
    for minutes, name, level, tier in expected:
        run(T0 + timedelta(minutes=minutes))
        case = reload(session, case)
        assert fired_names(session, case)[-1] == name
        assert (case.escalation_level, case.queue) == (level, tier)
    assert len(fired_names(session, case)) == len(expected)
    managers = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.case_id == case.id,
            Notification.user_id == world.user("manager").id,
            Notification.channel == "in_app",
        )
    )
    assert managers == 3, "the support manager hears of each hierarchical level once"


def test_a_repeating_step_repeats_at_its_interval_and_stops_when_its_condition_clears(
    session, world, store, ladders, run
):
    case = open_case(session, world, store, T0)
    engineer = world.user("engineer")
    comments.add_comment(session, engineer, store, case, body="On it", public=True, now=T0 + timedelta(minutes=10))
    name = "Update overdue: remind the owner"
    for minutes in (71, 101, 131):  # due at +70, then every 30 minutes
        run(T0 + timedelta(minutes=minutes))
    cycles = session.scalars(
        select(EscalationFiring.cycle)
        .join(EscalationStep)
        .where(EscalationFiring.case_id == case.id, EscalationStep.name == name)
        .order_by(EscalationFiring.id)
    ).all()
    assert cycles == [0, 1, 2]
    comments.add_comment(
        session,
        engineer,
        store,
        reload(session, case),
        body="Update: replacing the controller",
        public=True,
        now=T0 + timedelta(minutes=140),
    )
    run(T0 + timedelta(minutes=165))
    count = session.scalar(
        select(func.count())
        .select_from(EscalationFiring)
        .join(EscalationStep)
        .where(EscalationFiring.case_id == case.id, EscalationStep.name == name)
    )
    assert count == 3, "the new update cleared the old episode; the next reminder is due at +200 min"
    run(T0 + timedelta(minutes=201))
    assert fired_names(session, case)[-1] == name


def test_a_severity_change_while_paused_keeps_the_pause_already_accrued(session, world, store, ladders, run):
    case = open_case(session, world, store, T0, severity=3)
    engineer, admin = world.user("engineer"), world.user("acme_admin")
    comments.add_comment(session, engineer, store, case, body="Need logs", public=True, now=T0 + timedelta(minutes=30))
    services.change_status(
        session,
        engineer,
        reload(session, case),
        new_status="waiting_customer",
        expected_version=version(session, case),
        now=T0 + timedelta(minutes=60),
    )
    comments.add_comment(
        session, admin, store, reload(session, case), body="Here", public=True, now=T0 + timedelta(minutes=180)
    )
    services.change_status(
        session,
        engineer,
        reload(session, case),
        new_status="waiting_customer",
        expected_version=version(session, case),
        now=T0 + timedelta(minutes=200),
    )
    services.change_severity(
        session,
        engineer,
        reload(session, case),
        severity=1,
        expected_version=version(session, case),
        now=T0 + timedelta(minutes=230),
    )
    comments.add_comment(
        session,
        admin,
        store,
        reload(session, case),
        body="Now it is down",
        public=True,
        now=T0 + timedelta(minutes=240),
    )
    case = reload(session, case)
    # Severity 1: 240 min to resolve; 120 + 40 minutes already spent waiting on the customer count for nothing.
    assert case.resolution_due_at == T0 + timedelta(minutes=240 + 120 + 40)
    assert case.resolution_breached is False


@pytest.mark.commits  # runners in four threads
def test_exactly_once_with_four_concurrent_runners_over_two_thousand_due_steps(app, session, world, store, run):
    ladder = EscalationLadder(
        name="Bulk",
        severity=4,
        plan_id=None,
        steps=[
            EscalationStep(
                position=i,
                name=f"Step {i}",
                condition="not_resolved",
                offset_minutes=i,
                offset_percent=None,
                action="notify",
                target="owner",
            )
            for i in range(1, 21)
        ],
    )
    session.add(ladder)
    session.commit()
    cases = [open_case(session, world, store, T0, severity=4) for _ in range(100)]
    results, errors = [], []

    def runner():
        try:
            results.append(run(T0 + timedelta(hours=1)))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = session.scalar(select(func.count()).select_from(EscalationFiring))
    distinct = session.scalar(
        select(func.count()).select_from(
            select(EscalationFiring.case_id, EscalationFiring.step_id).distinct().subquery()
        )
    )
    events = session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "escalation_fired"))
    assert total == distinct == events == 2000
    assert sum(r.fired for r in results) == 2000 and all(not r.failed for r in results)
    assert {c.id for c in cases} == set(session.scalars(select(EscalationFiring.case_id).distinct()))


def test_after_three_hours_without_a_runner_each_missed_step_fires_once_marked_late(
    session, world, store, ladders, run
):
    case = open_case(session, world, store, T0)
    at = T0 + timedelta(hours=3, minutes=5)
    stats = run(at)
    assert fired_names(session, case) == [
        "Remind the owner",
        "Page L2 on call",
        "Page the duty manager",
        "Resolution at risk: L3 engineering",
    ]
    late = session.scalars(
        select(EscalationFiring.late_seconds).where(EscalationFiring.case_id == case.id).order_by(EscalationFiring.id)
    ).all()
    assert late == [(170) * 60, 155 * 60, 140 * 60, 5 * 60]
    assert stats.fired == 4 and run(at).fired == 0
    fired = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "escalation_fired")
        .order_by(CaseEvent.id)
    ).all()
    assert all("late by" in e.body for e in fired)
    assert [e.data["late_seconds"] for e in fired] == late and fired[0].data["cycle"] == 0
    assert fired[0].created_at == at and fired[0].data["due_at"] == (T0 + timedelta(minutes=15)).isoformat()


def test_a_failure_while_firing_one_case_leaves_it_retriable_and_the_others_fired(
    session, world, store, ladders, run, monkeypatch
):
    broken = open_case(session, world, store, T0)
    healthy = open_case(session, world, store, T0)
    real_perform = actions.perform

    def perform_failing_for_one(sess, case, *args):
        if case.id == broken.id:
            raise RuntimeError("mail relay exploded mid-firing")
        return real_perform(sess, case, *args)

    monkeypatch.setattr(actions, "perform", perform_failing_for_one)
    stats = run(T0 + timedelta(minutes=20))
    assert stats.failed == [broken.id] and stats.fired == 1
    assert fired_names(session, healthy) == ["Remind the owner"]
    assert fired_names(session, broken) == []
    monkeypatch.setattr(actions, "perform", real_perform)
    assert run(T0 + timedelta(minutes=21)).fired == 1
    assert fired_names(session, broken) == ["Remind the owner"]


def test_a_customer_request_raises_one_level_at_once_and_is_rate_limited(session, world, store, ladders, run):
    case = open_case(session, world, store, T0, severity=3)
    admin = world.user("acme_admin")
    request_escalation(
        session, admin, case, reason="Line 3 is down too", now=T0 + timedelta(minutes=5), settings=SETTINGS
    )
    case = reload(session, case)
    assert case.escalation_level == 1
    told = set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.case_id == case.id,
                Notification.channel == "in_app",
                Notification.subject.endswith("Customer requested escalation"),
            )
        )
    )
    assert told == {world.user("manager").id, world.user("account").id}
    with pytest.raises(CaseRuleError, match="already requested"):
        request_escalation(session, admin, case, reason="Again", now=T0 + timedelta(minutes=30), settings=SETTINGS)
    session.rollback()
    for who in ("acme_user", "engineer", "globex_admin"):
        with pytest.raises(ForbiddenError):
            request_escalation(
                session,
                world.user(who),
                reload(session, case),
                reason="x",
                now=T0 + timedelta(hours=2),
                settings=SETTINGS,
            )
    request_escalation(
        session, admin, reload(session, case), reason="Still down", now=T0 + timedelta(minutes=66), settings=SETTINGS
    )
    assert reload(session, case).escalation_level == 2
    run(T0 + timedelta(minutes=67))
    assert fired_names(session, case).count("Customer request: tell the account manager") == 2


def test_a_missed_commitment_escalates_and_a_kept_one_does_not(session, world, store, ladders, run):
    engineer = world.user("engineer")
    missed = open_case(session, world, store, T0, severity=3)
    kept = open_case(session, world, store, T0, severity=3)
    for case in (missed, kept):
        commitments.record_commitment(
            session,
            engineer,
            reload(session, case),
            description="Call back with analysis",
            recipient="Ana, by phone",
            owner_id=engineer.id,
            due_at=T0 + timedelta(hours=1),
            now=T0 + timedelta(minutes=5),
        )
    promise = commitments.commitments_of(session, kept)[0]
    commitments.mark_kept(session, engineer, reload(session, kept), promise.id, T0 + timedelta(minutes=50))
    run(T0 + timedelta(hours=1, minutes=1))
    assert "Commitment missed: remind the owner" in fired_names(session, missed)
    assert "Commitment missed: remind the owner" not in fired_names(session, kept)


def test_a_commitment_due_in_the_past_is_refused(session, world, store):
    case = open_case(session, world, store, T0)
    with pytest.raises(CaseRuleError, match="future"):
        commitments.record_commitment(
            session,
            world.user("engineer"),
            case,
            description="Call",
            recipient="Ana",
            owner_id=world.user("engineer").id,
            due_at=T0 - timedelta(minutes=1),
            now=T0,
        )


def test_low_severity_mail_outside_coverage_waits_for_business_hours_but_severity_1_pages_at_once(
    session, world, store, ladders, run
):
    friday = datetime(2026, 11, 6, 15, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 7, 10, 0, tzinfo=UTC)
    engineer = world.user("engineer")
    cases = {}
    for severity in (3, 1):
        case = open_case(session, world, store, friday, who="globex_admin", serial="GLOBEX-001", severity=severity)
        commitments.record_commitment(
            session,
            engineer,
            case,
            description="Weekend call-back",
            recipient="Globex",
            owner_id=engineer.id,
            due_at=saturday,
            now=friday,
        )
        cases[severity] = case
    run(saturday + timedelta(minutes=1))  # the promise is broken on a Saturday, outside coverage
    monday_0800_berlin = datetime(2026, 11, 9, 7, 0, tzinfo=UTC)

    def email_times(case):
        return session.scalars(
            select(Notification.next_attempt_at)
            .join(CaseEvent, CaseEvent.case_id == Notification.case_id)
            .where(
                Notification.case_id == case.id,
                Notification.channel == "email",
                Notification.subject.contains("Commitment missed"),
            )
        ).all()

    assert email_times(cases[3]) and set(email_times(cases[3])) == {monday_0800_berlin}
    assert email_times(cases[1]) and set(email_times(cases[1])) == {saturday + timedelta(minutes=1)}
    in_app = session.scalars(
        select(Notification.status).where(Notification.case_id == cases[3].id, Notification.channel == "in_app")
    ).all()
    assert in_app and set(in_app) == {"sent"}, "the in-app list shows it at once; only the e-mail waits"


def test_the_runner_keeps_its_schedule_for_open_cases_only(session, world, store, ladders):
    case = open_case(session, world, store, T0)
    assert session.get(EscalationSchedule, case.id).next_check_at == T0 + timedelta(minutes=15)
    assert session.scalar(select(User).where(User.email == "mgr@vendor.example.com")) is not None


def test_run_due_cli_runs_one_pass_at_the_given_instant(app, session, world, store, ladders):
    case = open_case(session, world, store, T0)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["escalation", "run-due", "--now", (T0 + timedelta(minutes=31)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "2 step(s) fired" in result.output
    assert fired_names(session, case) == ["Remind the owner", "Page L2 on call"]
    bad = runner.invoke(args=["escalation", "run-due", "--now", "yesterday"])
    assert bad.exit_code == 2 and "--now" in bad.output


def test_a_tier_move_pages_that_tiers_engineers_and_an_unowned_reminder_goes_to_the_cases_queue(
    session, world, store, ladders, run
):
    first, second = world.user("engineer"), world.user("engineer2")
    session.execute(update(User).where(User.id == first.id).values(tier="L1"))
    session.execute(update(User).where(User.id == second.id).values(tier="L2"))
    session.commit()
    case = open_case(session, world, store, T0)  # Severity 1, nobody owns it
    run(T0 + timedelta(minutes=15))  # "Remind the owner": the L1 queue's engineers
    run(T0 + timedelta(minutes=30))  # "Page L2 on call": the L2 engineers

    def paged(step_name: str) -> set[int]:
        return set(
            session.scalars(
                select(Notification.user_id).where(
                    Notification.case_id == case.id,
                    Notification.channel == "in_app",
                    Notification.subject.endswith(f"Escalation: {step_name}"),
                )
            )
        )

    assert paged("Remind the owner") == {first.id}
    assert paged("Page L2 on call") == {second.id}
    assert reload(session, case).queue == "L2"


def test_where_no_engineer_works_the_tier_every_engineer_is_paged(session, world, store, ladders, run):
    case = open_case(session, world, store, T0)
    run(T0 + timedelta(minutes=30))
    engineers = set(session.scalars(select(User.id).where(User.role == "support_engineer")))
    assert len(engineers) == 2
    assert (
        set(
            session.scalars(
                select(Notification.user_id).where(
                    Notification.case_id == case.id,
                    Notification.channel == "in_app",
                    Notification.subject.endswith("Escalation: Page L2 on call"),
                )
            )
        )
        == engineers
    )


def test_cached_ladders_follow_edits_here_at_once_and_elsewhere_after_the_recheck(session, world, ladders, monkeypatch):
    from escalation import context

    def percents(found) -> set[int]:
        return {s.offset_percent for specs in found.by_key.values() for s in specs}

    first = context.Ladders.current(session)
    assert context.Ladders.current(session) is first, "cached: no reload per request"
    step = session.scalars(
        select(EscalationStep).where(EscalationStep.offset_percent.is_not(None)).order_by(EscalationStep.id)
    ).first()
    step.offset_percent = 77
    session.commit()
    edited = context.Ladders.current(session)
    assert 77 in percents(edited), "an edit through this process is seen at once"
    table = EscalationStep.__table__
    session.execute(update(table).where(table.c.id == step.id).values(offset_percent=66, version=table.c.version + 1))
    session.commit()  # as if another process had edited it: nothing here knows yet
    assert context.Ladders.current(session) is edited
    monkeypatch.setattr(context, "LADDER_RECHECK_SECONDS", 0)  # the recheck interval has passed
    assert 66 in percents(context.Ladders.current(session))


def test_a_batch_that_meets_a_concurrent_edit_is_redone_case_by_case_and_fires_once(
    session, world, store, ladders, run, monkeypatch
):
    from escalation import services as escalation_services

    cases = [open_case(session, world, store, T0) for _ in range(3)]
    victim = cases[1]
    real = escalation_services._runner_changes
    seen: list[int] = []

    def edited_meanwhile(case):
        row = real(case)
        seen.append(case.id)
        if case.id == victim.id and seen.count(case.id) == 1 and row is not None:
            row["b_version"] -= 1  # the version it was read at is no longer the row's: someone edited it
        return row

    monkeypatch.setattr(escalation_services, "_runner_changes", edited_meanwhile)
    stats = run(T0 + timedelta(minutes=30))  # "Page L2 on call" moves each case's tier: an UPDATE per case
    assert stats.fired == 6 and stats.failed == [] and stats.conflicts == 0
    assert seen.count(victim.id) == 2, "the batch was rolled back and the case redone on its own"
    for case in cases:
        assert fired_names(session, case) == ["Remind the owner", "Page L2 on call"]
        assert reload(session, case).queue == "L2"
    assert (
        session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "escalation_fired")) == 6
    ), "nothing from the rolled-back attempt survived"
