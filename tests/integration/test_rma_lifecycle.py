"""RMA lifecycle through the services, on SQLite and PostgreSQL: the three kinds end to end,
keep-your-drive, a serial mismatch on return, approval out of contract, the return clock,
and the quarantine of the failed serial on every install path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casemgr.assets.models import Component, QuarantinedSerial
from casemgr.assets.services import install_component
from casemgr.cases import opening as case_opening
from casemgr.cases import services as case_services
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.notifications.models import Notification
from casemgr.registry import registry_of
from casemgr.safety.models import SafetyBlock
from casemgr.safety.services import SafetyBlocked
from escalation.defaults import seed_default_ladders
from escalation.models import EscalationFiring, EscalationSchedule, EscalationStep
from escalation.services import Settings, run_due
from rma import dispatch, queries, returns, services
from rma.models import Rma
from rma.states import TransitionRefused

#: Opening an RMA needs a problem description.
PROBLEM = "Amber LED; the array reports the part failed"


def open_case(session, world, clock, *, org="acme", serial="ACME-001", slot="bay 4"):
    """A customer case on an asset, owned by the support engineer."""
    asset = {"ACME-001": world.acme_asset, "GLOBEX-001": world.globex_asset, "GLOBEX-OLD": world.globex_uncovered}[
        serial
    ]
    asset.site.region = {"acme": "us-east", "globex": "eu-central"}[org]
    component = next(c for c in asset.components if c.slot == slot)
    store = LocalAttachmentStore("/nonexistent/no-uploads-here", 1 << 20)  # these cases carry no files
    case = case_opening.open_case(
        session,
        world.user(f"{org}_admin"),
        store,
        asset_serial=serial,
        severity=2,
        subject=f"{slot} failed",
        description="Amber LED",
        now=clock.now(),
        component_id=component.id,
    )
    case_services.assign_owner(
        session,
        world.user("engineer"),
        case,
        owner_id=world.user("engineer").id,
        expected_version=None,
        now=clock.now(),
    )
    return case, component


def step(clock, minutes=30):
    return clock.advance(timedelta(minutes=minutes))


def rma_events(session, case):
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "rma").order_by(CaseEvent.id)
        )
    )


def test_advance_replacement_end_to_end_with_serial_mismatch(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    assert rma.number == "RMA-000001" and rma.state == "approved" and not rma.needs_approval
    assert bay4.state == "failed" and session.get(QuarantinedSerial, "ACME-001-D4") is not None
    assert rma.disposition == "return"  # Premium has no keep-your-drive
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1Z1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    new = services.install(session, world.user("field"), rma, serial="new-d4", now=step(clock), return_days=7)
    assert rma.state == "return_pending" and rma.return_due_at == clock.now() + timedelta(days=7)
    assert (new.slot, new.serial, new.state) == ("bay 4", "NEW-D4", "active")
    assert bay4.state == "removed" and rma.installed_component_id == new.id
    returns.ship_return(session, world.user("acme_admin"), rma, carrier="UPS", tracking="1Z2", now=step(clock))
    with pytest.raises(returns.SerialMismatchUnconfirmed, match="SN ACME-001-D3, not SN ACME-001-D4"):
        returns.receive_return(session, eng, rma, returned_serial="ACME-001-D3", now=step(clock))
    session.rollback()
    assert rma.state == "return_pending" and rma.analysis is None  # nothing recorded without the confirmation
    fa = returns.receive_return(
        session, eng, rma, returned_serial="ACME-001-D3", now=clock.now(), confirm_mismatch=True
    )
    assert rma.state == "returned" and fa.serial_matches is False and fa.expected_serial == "ACME-001-D4"
    assert fa.returned_serial == "ACME-001-D3"
    assert rma.shipment("return").delivered_at == clock.now()
    returns.analyse(session, eng, rma, result="confirmed", failure_code="MEDIA", now=step(clock))
    services.close(session, eng, rma, now=step(clock))
    moves = [(e.data["from"], e.data["to"]) for e in rma_events(session, case)]
    assert moves == [
        (None, "requested"),
        ("requested", "approved"),
        ("approved", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "installed"),
        ("installed", "return_pending"),
        ("return_pending", "returned"),
        ("returned", "analysed"),
        ("analysed", "closed"),
    ]
    events = rma_events(session, case)
    assert all(e.public and e.actor_id for e in events)
    assert "SERIAL MISMATCH" in events[6].body and "MEDIA" in events[7].body
    assert "received SN ACME-001-D3, expected SN ACME-001-D4" in events[6].body
    assert "SN ACME-001-D3 was received and analysed in place of the expected SN ACME-001-D4" in events[7].body
    # Each move notified the owner and the customer who opened the case, except the mover (nobody hears of
    # their own action): the owner (who made the other moves) hears of the field engineer's two (installed,
    # return pending) and gets the mismatch alert; the customer hears of all nine.
    for user, expected in ((eng, 3), (world.user("acme_admin"), 9)):
        n = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.channel == "in_app",
                Notification.subject.like("%RMA-000001%"),
            )
        )
        subjects = session.scalars(
            select(Notification.subject).where(Notification.user_id == user.id, Notification.channel == "in_app")
        ).all()
        assert n == expected, (user.email, subjects)


def test_onsite_dispatch_end_to_end_with_keep_your_drive(session, world, clock):
    world.premium.keep_your_drive = True
    session.commit()
    case, bay4 = open_case(session, world, clock)
    eng, field = world.user("engineer"), world.user("field")
    rma = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="onsite_dispatch", now=clock.now(), problem=PROBLEM
    )
    assert rma.disposition == "retained" and rma.region == "us-east"
    services.ship_replacement(session, eng, rma, carrier="FedEx", tracking="77", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    start = clock.now() + timedelta(hours=2)
    dispatch.schedule_dispatch(
        session,
        eng,
        rma,
        engineer_id=field.id,
        window_start=start,
        window_end=start + timedelta(hours=2),
        now=step(clock),
    )
    assert rma.state == "dispatched" and rma.field_engineer_id == field.id
    with pytest.raises(ForbiddenError):  # another field engineer is not assigned
        dispatch.record_arrival(session, eng2_field(session, world, clock), rma, now=clock.now())
    dispatch.record_arrival(session, field, rma, now=step(clock, 120))
    dispatch.add_visit_note(session, field, rma, notes="Rack 12, cage B", now=step(clock))
    assert rma.current_dispatch.arrived_at is not None and "Rack 12" in rma.current_dispatch.notes
    services.install(session, field, rma, serial="KYD-NEW", now=step(clock))
    assert rma.state == "retained" and rma.retained_at == clock.now() and rma.return_due_at is None
    assert bay4.state == "removed" and session.get(QuarantinedSerial, "ACME-001-D4") is not None
    with pytest.raises(TransitionRefused, match="retained"):
        returns.receive_return(session, world.user("engineer"), rma, returned_serial="ACME-001-D4", now=clock.now())
    session.rollback()
    services.close(session, eng, rma, now=step(clock))
    assert [e.data["to"] for e in rma_events(session, case)][-5:] == [
        "dispatched",
        "on_site",
        "installed",
        "retained",
        "closed",
    ]


def eng2_field(session, world, clock):
    from casemgr.auth.models import User

    other = User(
        email="f2@vendor.example.com",
        name="F Two",
        role="field_engineer",
        password_hash="x",
        organization_id=world.vendor.id,
        region="us-east",
        created_at=clock.now(),
    )
    session.add(other)
    session.commit()
    return other


def test_return_and_replace_needs_a_manager_without_contract_and_ships_after_return(session, world, clock):
    case, bay1 = open_case(session, world, clock, org="globex", serial="GLOBEX-OLD", slot="bay 1")
    eng, mgr = world.user("engineer"), world.user("manager")
    with pytest.raises(CaseRuleError, match="does not include advance_replacement"):
        services.open_rma(
            session, eng, case, component_id=bay1.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
        )
    session.rollback()
    rma = services.open_rma(
        session,
        eng,
        case,
        component_id=bay1.id,
        kind="return_and_replace",
        disposition="certified_destruction",
        now=clock.now(),
        problem=PROBLEM,
    )
    assert rma.state == "requested" and rma.needs_approval and rma.disposition == "certified_destruction"
    with pytest.raises(ForbiddenError, match="support manager"):
        services.approve(session, eng, rma, note="please", now=clock.now())
    with pytest.raises(CaseRuleError, match="Say why"):
        services.approve(session, mgr, rma, note="", now=clock.now())
    services.approve(session, mgr, rma, note="Goodwill: renewal signed", now=step(clock))
    assert (rma.approved_by_id, rma.approval_note) == (mgr.id, "Goodwill: renewal signed")
    with pytest.raises(TransitionRefused) as refused:
        services.ship_replacement(session, eng, rma, carrier="DHL", tracking="1", now=clock.now())
    assert "'approved'" in str(refused.value) and "return_pending, cancelled" in str(refused.value)
    session.rollback()
    returns.ship_return(session, world.user("globex_admin"), rma, carrier="DHL", tracking="R1", now=step(clock))
    returns.receive_return(session, eng, rma, returned_serial="globex-old-d1", now=step(clock))
    assert rma.analysis.serial_matches
    services.ship_replacement(session, eng, rma, carrier="DHL", tracking="O1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    services.install(session, eng, rma, serial="GX-NEW-1", now=step(clock))
    assert rma.state == "installed" and rma.return_due_at is None
    returns.analyse(session, eng, rma, result="no_fault_found", now=step(clock))
    services.close(session, eng, rma, now=step(clock))
    assert [e.data["to"] for e in rma_events(session, case)] == [
        "requested",
        "approved",
        "return_pending",
        "returned",
        "shipped",
        "delivered",
        "installed",
        "analysed",
        "closed",
    ]


def test_second_failure_of_the_same_part_model_is_visible(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    eng = world.user("engineer")
    first = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    bay3 = next(c for c in world.acme_asset.components if c.slot == "bay 3")
    second = services.open_rma(
        session, eng, case, component_id=bay3.id, kind="advance_replacement", now=step(clock), problem=PROBLEM
    )
    assert [r.number for r in queries.part_history(session, world.acme_asset.id, bay3.part_id, exclude=second.id)] == [
        first.number
    ]
    assert queries.repeat_failures(session, world.acme_asset.id) == {"DRV-1": 2}
    with pytest.raises(CaseRuleError, match="already open"):
        services.open_rma(
            session, eng, case, component_id=bay3.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
        )


def test_cancel_only_before_installation_and_errors_name_the_allowed_states(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    with pytest.raises(TransitionRefused) as refused:
        services.install(session, eng, rma, serial="X1", now=clock.now())
    assert str(refused.value) == ("RMA is 'approved'; cannot move to 'installed'. Allowed next: shipped, cancelled.")
    session.rollback()
    services.cancel(session, eng, rma, reason="Duplicate", now=step(clock))
    assert rma.state == "cancelled" and rma.closed_at == clock.now()
    assert bay4.state == "failed"  # cancelling never puts a failed part back in service


def test_customers_install_customer_replaceable_parts_only(session, world, clock):
    case, psu = open_case(session, world, clock, slot="PSU 1")
    eng, customer = world.user("engineer"), world.user("acme_admin")
    rma = services.open_rma(
        session, eng, case, component_id=psu.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="P1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    with pytest.raises(NotFoundError):
        services.install(session, world.user("globex_admin"), rma, serial="PSU-NEW", now=clock.now())
    services.install(session, customer, rma, serial="PSU-NEW", now=step(clock))
    assert rma.state == "return_pending" and psu.state == "removed"


def return_reminders(session, case) -> list[int]:
    """Cycles of the ladder's return_overdue step fired on this case."""
    return list(
        session.scalars(
            select(EscalationFiring.cycle)
            .join(EscalationStep, EscalationStep.id == EscalationFiring.step_id)
            .where(EscalationFiring.case_id == case.id, EscalationStep.condition == "return_overdue")
            .order_by(EscalationFiring.id)
        )
    )


def test_overdue_returns_go_up_the_ladder_to_the_field_engineer_and_account_team_never_the_customer(
    app, session, world, clock
):
    seed_default_ladders(session)
    case, bay4 = open_case(session, world, clock)
    eng, field, account = world.user("engineer"), world.user("field"), world.user("account")
    rma = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="onsite_dispatch", now=clock.now(), problem=PROBLEM
    )
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    dispatch.schedule_dispatch(
        session,
        eng,
        rma,
        engineer_id=field.id,
        window_start=clock.now(),
        window_end=clock.now() + timedelta(hours=1),
        now=clock.now(),
    )
    dispatch.record_arrival(session, field, rma, now=step(clock))
    services.install(session, field, rma, serial="R-NEW", now=step(clock), return_days=10)
    installed = clock.now()
    factory = registry_of(app).db.write_session_factory

    def run(at):
        run_due(factory, at, Settings.from_app(app))
        session.expire_all()
        return return_reminders(session, case)

    assert run(installed + timedelta(days=9, hours=23)) == []
    assert session.get(EscalationSchedule, case.id).next_check_at <= installed + timedelta(days=10)
    assert run(installed + timedelta(days=10)) == [0]
    assert run(installed + timedelta(days=10, hours=5)) == [0]
    assert run(installed + timedelta(days=11)) == [0, 1]  # daily while the part is still out
    rows = list(
        session.scalars(
            select(Notification).where(Notification.channel == "in_app", Notification.subject.contains("not returned"))
        )
    )
    assert {n.user_id for n in rows} == {field.id, account.id}
    assert all(
        rma.number in n.body and "has not been received" in n.body and "charge" not in n.body.lower() for n in rows
    )
    fired = session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "escalation_fired", CaseEvent.body.contains("not returned")
        )
    ).all()
    assert len(fired) == 2 and not any(e.public for e in fired), "the customer never sees a reminder"
    assert not session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == world.user("acme_admin").id, Notification.subject.contains("not returned"))
    )
    returns.receive_return(
        session,
        eng,
        session.get(Rma, rma.id),
        returned_serial="ACME-001-D4",
        now=installed + timedelta(days=11, hours=2),
    )
    assert run(installed + timedelta(days=14)) == [0, 1], "received: the reminders stop"


def test_return_reminders_outlive_the_case_they_came_from(app, session, world, clock):
    seed_default_ladders(session)
    case, psu = open_case(session, world, clock, slot="PSU 1")
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=psu.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    services.install(session, eng, rma, serial="PSU-T1", now=step(clock), return_days=app.config["RMA_RETURN_DAYS"])
    due = clock.now() + timedelta(days=app.config["RMA_RETURN_DAYS"])
    case_services.change_status(session, eng, case, new_status="resolved", expected_version=None, now=step(clock))
    factory = registry_of(app).db.write_session_factory
    run_due(factory, due + timedelta(minutes=1), Settings.from_app(app))
    session.expire_all()
    assert return_reminders(session, case) == [0], "a resolved case still gets its part back"


# --- the quarantined serial, by every path -------------------------------------


@pytest.fixture
def replaced(session, world, clock):
    """ACME-001 bay 4 replaced through an RMA: ACME-001-D4 is quarantined."""
    case, bay4 = open_case(session, world, clock)
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    services.install(session, eng, rma, serial="Q-NEW", now=step(clock))
    return rma


@pytest.mark.parametrize(
    ("asset_attr", "slot"), [("acme_asset", "bay 4"), ("acme_asset", "bay 1"), ("globex_asset", "bay 2")]
)
def test_a_quarantined_serial_cannot_be_installed_by_the_service_anywhere(
    session, world, clock, replaced, asset_attr, slot
):
    asset = getattr(world, asset_attr)
    with pytest.raises(SafetyBlocked):
        install_component(
            session,
            world.user("engineer"),
            asset,
            slot=slot,
            part_number="DRV-1",
            serial="acme-001-d4",
            now=clock.now(),
        )
    assert (
        session.scalar(
            select(func.count())
            .select_from(Component)
            .where(Component.serial == "ACME-001-D4", Component.state != "removed")
        )
        == 0
    )
    assert session.scalar(select(SafetyBlock.component_serial)) == "ACME-001-D4"


def test_a_quarantined_serial_cannot_come_back_through_another_rma(session, world, clock, replaced):
    case, bay2 = open_case(session, world, clock, org="globex", serial="GLOBEX-001", slot="bay 2")
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay2.id, kind="return_and_replace", now=clock.now(), problem=PROBLEM
    )
    returns.ship_return(session, eng, rma, carrier="DHL", tracking="R", now=step(clock))
    returns.receive_return(session, eng, rma, returned_serial="GLOBEX-001-D2", now=step(clock))
    services.ship_replacement(session, eng, rma, carrier="DHL", tracking="O", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    with pytest.raises(SafetyBlocked):
        services.install(session, eng, rma, serial="ACME-001-D4", now=step(clock))
    session.expire_all()
    assert session.get(Rma, rma.id).state == "delivered"  # the refused install left the RMA untouched
    assert (
        session.scalar(select(Component.state).where(Component.serial == "GLOBEX-001-D2", Component.state != "removed"))
        == "failed"
    )


def test_a_quarantined_serial_is_refused_by_the_cli(app, session, world, clock, replaced):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "rma",
            "install-part",
            "--asset",
            "GLOBEX-001",
            "--slot",
            "bay 3",
            "--part",
            "DRV-1",
            "--serial",
            "ACME-001-D4",
            "--as",
            "eng@vendor.example.com",
        ]
    )
    assert result.exit_code != 0 and "safety guard" in result.output
    assert session.scalar(select(SafetyBlock.channel)) == "cli"
    ok = runner.invoke(
        args=[
            "rma",
            "install-part",
            "--asset",
            "GLOBEX-001",
            "--slot",
            "bay 3",
            "--part",
            "DRV-1",
            "--serial",
            "FRESH-1",
            "--as",
            "eng@vendor.example.com",
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert "Installed DRV-1 SN FRESH-1 in bay 3 of GLOBEX-001" in ok.output
