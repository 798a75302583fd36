"""The reporting module against seeded data, on SQLite and PostgreSQL: the
dashboard's order and SLA states under a moved clock, one partner's figures
computed by hand, the weekly digest, ratings and thank-you notes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from casemgr.cases import comments, commitments, opening, services
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Case, CaseEvent, Commitment
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.notifications.models import Notification
from casemgr.registry import registry_of
from reports import partner, queries, rules
from reports.digest import send_weekly_digests
from reports.models import CaseRating
from reports.queries import DashboardFilter
from reports.services import rate_case, thank_engineer

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday
M = timedelta(minutes=1)


@pytest.fixture
def store(tmp_path):
    return LocalAttachmentStore(tmp_path / "files", 10_000_000)


def open_at(session, world, store, at, severity, *, who="acme_admin", serial="ACME-001"):
    return opening.open_case(
        session,
        world.user(who),
        store,
        asset_serial=serial,
        severity=severity,
        subject=f"S{severity} problem",
        description="details",
        now=at,
    )


def numbers(board) -> list[str]:
    return [row.case.number for row in board.rows]


def test_dashboard_orders_by_urgency_and_moves_sla_states_with_the_clock(session, world, store):
    s3 = open_at(session, world, store, T0, 3)
    s1 = open_at(session, world, store, T0 + 10 * M, 1)
    s2 = open_at(session, world, store, T0, 2)
    open_at(session, world, store, T0, 1, who="globex_admin", serial="GLOBEX-001")  # not Account's partner
    # Premium 24x7 first response targets: S1 30 min, S2 60 min, S3 90 min.
    assert (s1.first_response_due_at, s2.first_response_due_at, s3.first_response_due_at) == (
        T0 + 40 * M,
        T0 + 60 * M,
        T0 + 90 * M,
    )
    account = world.user("account")

    def board(at, **kw):
        session.expire_all()
        return queries.dashboard(session, account, DashboardFilter(**kw), at)

    at20 = board(T0 + 20 * M)
    assert numbers(at20) == [s1.number, s2.number, s3.number]
    assert [r.sla.state for r in at20.rows] == ["at_risk", "on_track", "on_track"]
    assert at20.rows[0].sla.next_due == T0 + 40 * M
    assert at20.by_state == {"breached": 0, "at_risk": 1, "on_track": 2}

    comments.add_comment(
        session, world.user("engineer"), store, session.get(Case, s2.id), body="On it", public=True, now=T0 + 30 * M
    )  # answers S2's first response
    at65 = board(T0 + 65 * M)
    assert [(r.case.number, r.sla.state) for r in at65.rows] == [
        (s1.number, "breached"),
        (s3.number, "at_risk"),
        (s2.number, "on_track"),
    ]

    assert numbers(board(T0 + 65 * M, sla="on_track")) == [s2.number]
    assert numbers(board(T0 + 65 * M, severity=3)) == [s3.number]
    assert board(T0 + 65 * M, organization_id=world.globex.id).total == 0, "nothing of Globex leaks"
    manager_view = queries.dashboard(session, world.user("manager"), DashboardFilter(), T0 + 65 * M)
    assert manager_view.total == 4 and manager_view.rows[0].case.severity == 1


def test_dashboard_counts_customer_escalations_and_open_commitments(session, world, store):
    from escalation.services import Settings, request_escalation

    case = open_at(session, world, store, T0, 2)
    request_escalation(
        session, world.user("acme_admin"), case, reason="Line 3 down too", now=T0 + 5 * M, settings=Settings()
    )
    session.commit()
    commitments.record_commitment(
        session,
        world.user("engineer"),
        case,
        description="Call back",
        recipient="Ana",
        owner_id=world.user("engineer").id,
        due_at=T0 + 60 * M,
        now=T0 + 6 * M,
    )
    row = queries.dashboard(session, world.user("account"), DashboardFilter(), T0 + 10 * M).rows[0]
    assert (row.escalation_requests, row.open_commitments, row.rmas_in_flight) == (1, 1, 0)
    assert row.case.escalation_level == 1


def add_case(
    session,
    world,
    org,
    number,
    *,
    severity,
    created,
    resolved=None,
    fr_after=None,
    fr_breached=False,
    res_breached=False,
    nu_breaches=0,
    asset=None,
    status=None,
):
    asset = asset or (world.acme_asset if org == world.acme else world.globex_asset)
    case = Case(
        number=number,
        organization_id=org.id,
        asset_id=asset.id,
        entitled=True,
        severity=severity,
        status=status or ("resolved" if resolved else "in_progress"),
        subject=f"Case {number}",
        description="-",
        created_at=created,
        updated_at=resolved or created,
        resolved_at=resolved,
        first_response_at=created + fr_after if fr_after else None,
        first_response_breached=fr_breached,
        resolution_breached=res_breached,
        next_update_breaches=nu_breaches,
    )
    session.add(case)
    session.flush()
    return case


def d(month, day, hour=12):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_one_partners_figures_for_a_period_match_a_hand_count(session, world):
    acme, globex, now = world.acme, world.globex, d(11, 2, 9)
    eng = world.user("engineer")
    # Period: Monday 7 Sep - Sunday 4 Oct 2026 (4 ISO weeks; months Sep and Oct).
    a1 = add_case(
        session, world, acme, "CS-900001", severity=1, created=d(9, 7), resolved=d(9, 7, 18), fr_after=10 * M
    )  # week 1: opened+resolved, met
    a2 = add_case(
        session,
        world,
        acme,
        "CS-900002",
        severity=2,
        created=d(9, 9),
        resolved=d(9, 16),
        fr_after=90 * M,
        fr_breached=True,
        res_breached=True,
    )  # resolved in week 2
    add_case(session, world, acme, "CS-900003", severity=3, created=d(9, 22), fr_after=30 * M)  # still open
    a4 = add_case(
        session,
        world,
        acme,
        "CS-900004",
        severity=1,
        created=d(10, 2),
        resolved=d(10, 3),
        fr_after=5 * M,
        nu_breaches=1,
    )  # week 4, October
    add_case(session, world, acme, "CS-900005", severity=4, created=d(9, 23))  # no first response yet
    add_case(
        session, world, acme, "CS-900006", severity=2, created=d(8, 20), resolved=d(9, 8), fr_after=20 * M
    )  # opened before, resolved in
    add_case(
        session, world, acme, "CS-900007", severity=1, created=d(10, 10), resolved=d(10, 11), fr_after=5 * M
    )  # after the period
    add_case(
        session,
        world,
        globex,
        "CS-900008",
        severity=1,
        created=d(9, 10),
        resolved=d(9, 11),
        fr_after=5 * M,
        fr_breached=True,
    )  # other partner
    session.add_all(
        [
            Commitment(
                case_id=a2.id,
                description="Call back by 15:00",
                recipient="Ana",
                owner_id=eng.id,
                due_at=d(9, 10, 15),
                status="kept",
                kept_at=d(9, 10, 16),
                created_by_id=eng.id,
                created_at=d(9, 10),
            ),  # kept late: missed
            Commitment(
                case_id=a2.id,
                description="Ship part",
                recipient="Ana",
                owner_id=eng.id,
                due_at=d(9, 11),
                status="kept",
                kept_at=d(9, 11, 9),
                created_by_id=eng.id,
                created_at=d(9, 10),
            ),  # on time
            Commitment(
                case_id=a1.id,
                description="Send RCA",
                recipient="Ana",
                owner_id=eng.id,
                due_at=d(9, 20),
                status="open",
                created_by_id=eng.id,
                created_at=d(9, 8),
            ),  # open and overdue: missed
            CaseRating(case_id=a1.id, organization_id=acme.id, rating=5, comment="Great", created_at=d(9, 8)),
            CaseRating(case_id=a2.id, organization_id=acme.id, rating=2, comment="", created_at=d(9, 17)),
            CaseRating(case_id=a4.id, organization_id=acme.id, rating=4, comment="Fine", created_at=d(10, 20)),
        ]
    )
    session.add(CaseEvent(case_id=a1.id, kind="escalation_fired", body="", data={}, created_at=d(9, 7, 13)))
    session.add(CaseEvent(case_id=a1.id, kind="comment", public=True, body="x", data={}, created_at=d(9, 7, 13)))
    session.commit()

    period = rules.Period(date(2026, 9, 7), date(2026, 10, 4))
    report = partner.partner_report(session, world.user("account"), acme.id, period, now)
    s = report.summary
    # By hand: opened in period a1 a2 3 a4 5 = 5 (two S1); resolved in period a1 a2 a4 and 6 = 4.
    assert (s.opened, s.sev1_opened, s.resolved) == (5, 2, 4)
    # First responses of cases opened in the period: a1 met, a2 breached, 3 met, a4 met (5 has none): 3 of 4.
    assert (s.first_response_met, s.first_response_total, s.first_response_pct) == (3, 4, 75.0)
    # Resolutions in the period: a1 met, a2 breached, a4 met, 6 met: 3 of 4.
    assert (s.resolution_met, s.resolution_total, s.resolution_pct) == (3, 4, 75.0)
    # Hours to resolve: a1 6, a2 168, a4 24, 6 (20 Aug 12:00 -> 8 Sep 12:00) 456: median (24+168)/2 = 96.
    assert s.median_resolution_hours == 96.0
    assert s.open_now == 2  # CS-900003 and CS-900005
    assert s.missed_commitments == 2 and [m.description for m in report.missed] == ["Call back by 15:00", "Send RCA"]
    assert (s.ratings, s.average_rating) == (2, 3.5)  # the October 20 rating is outside the period
    assert report.rating_counts == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert (s.rmas_requested, s.rmas_installed, s.certificates) == (0, 0, 0)

    weeks = [date(2026, 9, 7), date(2026, 9, 14), date(2026, 9, 21), date(2026, 9, 28)]
    assert list(report.opened_by_week) == weeks
    assert [dict(report.opened_by_week[w]) for w in weeks] == [{1: 1, 2: 1}, {}, {3: 1, 4: 1}, {1: 1}]
    assert [dict(report.resolved_by_week[w]) for w in weeks] == [{1: 1, 2: 1}, {2: 1}, {}, {1: 1}]
    assert report.sla_by_month == {date(2026, 9, 1): [2, 3, 2, 3], date(2026, 10, 1): [1, 1, 1, 1]}
    assert report.top_assets == [("ACME-001", 5)]
    assert [(r.number, r.outcome, r.escalations, r.updates) for r in report.sev1] == [
        ("CS-900001", "Met", 1, 1),
        ("CS-900004", "Breached: updates", 0, 0),
    ]


def test_rma_figures_when_rmas_exist(session, world):
    from rma.models import Rma

    acme, now = world.acme, d(11, 2, 9)
    case = add_case(session, world, acme, "CS-900101", severity=2, created=d(9, 8), resolved=d(9, 12), fr_after=5 * M)
    drive = world.acme_asset.components[0]

    def rma(number, created, installed=None, disposition="return", retained=None, state="closed"):
        return Rma(
            number=number,
            case_id=case.id,
            organization_id=acme.id,
            asset_id=world.acme_asset.id,
            failed_component_id=drive.id,
            replacement_part_id=drive.part_id,
            kind="advance_replacement",
            state=state,
            disposition=disposition,
            created_at=created,
            updated_at=created,
            installed_at=installed,
            retained_at=retained,
        )

    session.add_all(
        [
            rma("RMA-900001", d(9, 8), d(9, 9)),  # 1 day
            rma("RMA-900002", d(9, 10), d(9, 13), "retained", d(9, 13)),  # 3 days, certificate
            rma("RMA-900003", d(9, 30), state="shipped"),
        ]
    )  # requested, in flight
    session.commit()
    report = partner.partner_report(
        session, world.user("manager"), acme.id, rules.Period(date(2026, 9, 1), date(2026, 9, 30)), now
    )
    s = report.summary
    assert (s.rmas_requested, s.rmas_installed, s.median_rma_turnaround_days, s.certificates) == (3, 2, 2.0, 1)
    assert report.rma_turnaround_by_month == {date(2026, 9, 1): [1.0, 3.0]}
    row = queries.dashboard(session, world.user("manager"), DashboardFilter(), now).rows
    assert row == [] or all(r.case.id != case.id for r in row)  # resolved: not on the dashboard


def test_account_manager_cannot_report_on_an_unassigned_partner(session, world):
    period = rules.default_period(T0.date())
    with pytest.raises(NotFoundError):
        partner.partner_report(session, world.user("account"), world.globex.id, period, T0)
    with pytest.raises(NotFoundError):
        partner.partner_report(session, world.user("acme_admin"), world.acme.id, period, T0)
    with pytest.raises(NotFoundError):
        queries.breaches_by_team(session, world.user("account"), period)
    assert (
        partner.partner_report(session, world.user("manager"), world.globex.id, period, T0).organization == world.globex
    )


def test_breaches_by_tier_and_engineer(session, world):
    eng = world.user("engineer")
    for i, (breached, owner) in enumerate([(True, eng), (False, eng), (True, None)]):
        c = add_case(
            session,
            world,
            world.acme,
            f"CS-90020{i}",
            severity=2,
            created=d(10, 5 + i),
            fr_after=5 * M,
            fr_breached=breached,
        )
        c.owner_id = owner.id if owner else None
    session.commit()
    teams, people = queries.breaches_by_team(
        session, world.user("manager"), rules.Period(date(2026, 10, 1), date(2026, 10, 31))
    )
    assert [(t.name, t.cases, t.breached) for t in teams] == [("L1", 3, 2)]
    assert [(p.name, p.cases, p.breached) for p in people] == [(eng.name, 2, 1), ("Unassigned", 1, 1)]


def test_weekly_digest_once_per_manager_per_week_and_only_their_partners(app, session, world, store):
    acme_case = open_at(session, world, store, T0 - timedelta(days=1), 1)
    globex_case = open_at(session, world, store, T0 - timedelta(days=1), 1, who="globex_admin", serial="GLOBEX-001")
    factory = registry_of(app).db.write_session_factory
    assert send_weekly_digests(factory, T0 - timedelta(hours=3)) == 0  # Monday 06:00: not yet
    assert send_weekly_digests(factory, T0) == 1
    assert send_weekly_digests(factory, T0 + timedelta(hours=5)) == 0, "once per ISO week"
    mails = list(
        session.scalars(
            select(Notification).where(
                Notification.channel == "email", Notification.user_id == world.user("account").id
            )
        )
    )
    digests = [m for m in mails if m.subject.startswith("Weekly account digest")]
    assert len(digests) == 1
    assert "2026-W45" in digests[0].subject and acme_case.number in digests[0].body
    assert globex_case.number not in digests[0].body and "Globex" not in digests[0].body
    assert "1 open Severity 1-2" in digests[0].body and "Breached" in digests[0].body
    assert send_weekly_digests(factory, T0 + timedelta(days=7)) == 1  # next week


def resolved_case(session, world, store):
    case = open_at(session, world, store, T0, 2)
    engineer = world.user("engineer")
    services.assign_owner(session, engineer, case, owner_id=engineer.id, expected_version=None, now=T0 + M)
    comments.add_comment(session, engineer, store, case, body="Fixed", public=True, now=T0 + 2 * M)
    services.change_status(session, engineer, case, new_status="resolved", expected_version=None, now=T0 + 3 * M)
    return case


def test_the_customer_rates_a_resolved_case_once(session, world, store):
    case = resolved_case(session, world, store)
    with pytest.raises(ForbiddenError):
        rate_case(session, world.user("engineer"), case, rating=5, comment="", now=T0 + 4 * M)
    rate_case(session, world.user("acme_user"), case, rating=4, comment="Quick fix", now=T0 + 4 * M)
    with pytest.raises(CaseRuleError, match="already been rated"):
        rate_case(session, world.user("acme_admin"), case, rating=1, comment="", now=T0 + 5 * M)
    assert session.scalar(select(func.count()).select_from(CaseRating)) == 1
    assert session.scalar(select(CaseEvent.body).where(CaseEvent.kind == "rating")) == "Rated 4/5: Quick fix"


def test_a_thank_you_note_reaches_the_engineer_and_the_internal_timeline(session, world, store):
    case = resolved_case(session, world, store)
    engineer = world.user("engineer")
    with pytest.raises(ForbiddenError):
        thank_engineer(session, world.user("account"), case, engineer_id=engineer.id, note="Nice", now=T0)
    thank_engineer(session, world.user("manager"), case, engineer_id=engineer.id, note="Great S1 work", now=T0)
    event = session.scalar(select(CaseEvent).where(CaseEvent.kind == "thanks"))
    assert event.public is False and "Great S1 work" in event.body
    inbox = session.scalar(
        select(Notification).where(
            Notification.user_id == engineer.id,
            Notification.channel == "in_app",
            Notification.subject.contains("Thank you"),
        )
    )
    assert inbox is not None and "Great S1 work" in inbox.body
