"""Failed parts never go back in, and a wrong click never marks a healthy one failed for
good: through the services, on SQLite and PostgreSQL.

Opening needs a chosen component and a problem description (and writes nothing when
refused); a support manager may correct a mistaken failed mark only while nothing has
shipped; receiving a serial other than the failed one needs an explicit confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casemgr.assets.models import Component, QuarantinedSerial
from casemgr.assets.services import mark_component
from casemgr.cases.models import CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ConflictError, ForbiddenError
from casemgr.notifications.models import Notification
from casemgr.safety.models import ComponentCorrection, SafetyBlock
from rma import corrections, returns, services
from rma.models import FailureAnalysis, Rma
from tests.integration.test_rma_lifecycle import PROBLEM, open_case, step


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def open_on(session, world, clock, case, component, kind="advance_replacement", **kw) -> Rma:
    return services.open_rma(
        session,
        world.user("engineer"),
        case,
        component_id=component.id,
        kind=kind,
        now=clock.now(),
        problem=kw.pop("problem", PROBLEM),
        **kw,
    )


# --- opening -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "problem", "fields"),
    [
        (None, "", {"component_id", "problem"}),
        (None, "bay 4 amber", {"component_id"}),
        ("bay 4", "   \n ", {"problem"}),
    ],
)
def test_opening_needs_a_chosen_component_and_a_problem_and_writes_nothing_when_refused(
    session, world, clock, component, problem, fields
):
    case, bay4 = open_case(session, world, clock)
    component_id = bay4.id if component else None
    for attempt in (services.check_open, services.open_rma):
        with pytest.raises(services.OpenRmaRefused) as refused:
            attempt(
                session,
                world.user("engineer"),
                case,
                component_id=component_id,
                kind="advance_replacement",
                problem=problem,
                now=clock.now(),
            )
        assert set(refused.value.fields) == fields
        session.rollback()
    if "component_id" in fields:
        assert "Choose the failed component" in str(refused.value)
    if "problem" in fields:
        assert "Describe the problem" in str(refused.value)
    session.expire_all()
    assert session.get(Component, bay4.id).state == "active"
    assert count(session, Rma) == 0 and count(session, QuarantinedSerial) == 0


def test_a_component_of_another_asset_is_refused_as_a_form_error(session, world, clock):
    case, _ = open_case(session, world, clock)
    foreign = next(c for c in world.globex_asset.components if c.slot == "bay 1")
    with pytest.raises(services.OpenRmaRefused) as refused:
        open_on(session, world, clock, case, foreign)
    assert refused.value.fields == {"component_id": "Choose a component installed in this case's asset."}


def test_the_check_before_confirmation_writes_nothing(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    plan = services.check_open(
        session,
        world.user("engineer"),
        case,
        component_id=bay4.id,
        kind="advance_replacement",
        problem="  Bay 4 amber  ",
        now=clock.now(),
    )
    assert plan.component is bay4 and plan.part.part_number == "DRV-1" and plan.marks_failed
    assert plan.problem == "Bay 4 amber" and plan.disposition == "return"
    session.commit()
    session.expire_all()
    assert session.get(Component, bay4.id).state == "active"
    assert count(session, Rma) == 0 and count(session, QuarantinedSerial) == 0


def test_opening_keeps_the_components_state_before_and_whether_it_quarantined(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    bay3 = next(c for c in world.acme_asset.components if c.slot == "bay 3")
    mark_component(session, world.user("engineer"), bay3, "suspect", clock.now())
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", clock.now())
    rmas = [open_on(session, world, clock, case, c) for c in (bay4, bay3, bay2)]
    session.expire_all()
    assert [(r.component_state_before, r.quarantine_added) for r in rmas] == [
        ("active", True),
        ("suspect", True),
        ("failed", False),
    ]
    assert [session.get(Component, c.id).state for c in (bay4, bay3, bay2)] == ["failed"] * 3


# --- correcting a mistaken failed mark -------------------------------------------


def correct(session, world, rma, actor="manager", reason="Case was about fan noise; bay 4 chosen by mistake", **kw):
    return corrections.correct_failed_mark(session, world.user(actor), rma, reason=reason, now=kw.pop("now"), **kw)


@pytest.mark.parametrize("actor", ["manager", "admin"])
def test_a_manager_corrects_an_open_rma_cancelling_it_and_restoring_the_component(session, world, clock, actor):
    case, bay4 = open_case(session, world, clock)
    rma = open_on(session, world, clock, case, bay4)
    assert rma.state == "approved" and session.get(QuarantinedSerial, "ACME-001-D4") is not None
    version = rma.version
    fix = correct(session, world, rma, actor=actor, now=step(clock), expected_version=version)
    session.expire_all()
    rma, bay4 = session.get(Rma, rma.id), session.get(Component, bay4.id)
    assert rma.state == "cancelled" and rma.closed_at == clock.now() and rma.version > version
    assert bay4.state == "active" and session.get(QuarantinedSerial, "ACME-001-D4") is None
    row = session.get(ComponentCorrection, fix.id)
    assert (
        row.source,
        row.component_serial,
        row.slot,
        row.part_number,
        row.from_state,
        row.restored_state,
        row.cancelled_source,
        row.quarantine_lifted,
        row.actor_id,
        row.case_id,
        row.organization_id,
    ) == (
        rma.number,
        "ACME-001-D4",
        "bay 4",
        "DRV-1",
        "failed",
        "active",
        True,
        True,
        world.user(actor).id,
        case.id,
        world.acme.id,
    )
    assert row.reason == "Case was about fan noise; bay 4 chosen by mistake" and row.created_at == clock.now()
    last = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())).first()
    assert last.public and last.kind == "rma" and last.data["to"] == "cancelled"
    assert "was marked failed by mistake" in last.body and "back to active" in last.body
    assert "Reason: Case was about fan noise; bay 4 chosen by mistake" in last.body
    customer_news = session.scalars(
        select(Notification.subject).where(
            Notification.user_id == world.user("acme_admin").id, Notification.channel == "in_app"
        )
    ).all()
    assert f"[{case.number}] {rma.number} cancelled: {case.subject}" in customer_news
    assert count(session, SafetyBlock) == 0  # the public statement passed the safety guard
    # The part is healthy again: a later, real failure can open an RMA for it.
    assert open_on(session, world, clock, case, bay4).state == "approved"


def test_a_cancelled_rma_that_shipped_nothing_can_be_corrected_with_a_note(session, world, clock):
    case, bay1 = open_case(session, world, clock, org="globex", serial="GLOBEX-OLD", slot="bay 1")
    rma = open_on(session, world, clock, case, bay1, kind="return_and_replace")
    assert rma.state == "requested"  # out of contract, waiting for approval
    services.cancel(session, world.user("engineer"), rma, reason="Duplicate", now=step(clock))
    fix = correct(session, world, rma, reason="Bay 1 is fine; the customer meant bay 3", now=step(clock))
    session.expire_all()
    rma = session.get(Rma, rma.id)
    assert rma.state == "cancelled" and rma.updated_at == clock.now()
    assert session.get(Component, bay1.id).state == "active" and session.get(QuarantinedSerial, bay1.serial) is None
    assert (fix.cancelled_source, fix.quarantine_lifted) == (False, True)
    note = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())).first()
    assert note.public and note.kind == "rma_note" and note.data["correction"] is True
    assert "Reason: Bay 1 is fine; the customer meant bay 3" in note.body
    assert (
        count(
            session,
            Notification,
            Notification.user_id == world.user("globex_admin").id,
            Notification.subject.like("%failed mark corrected%"),
        )
        == 2
    )  # in-app and e-mail
    with pytest.raises(CaseRuleError, match="already corrected"):
        correct(session, world, rma, now=step(clock))


def test_the_correction_restores_the_state_the_component_had_before(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    mark_component(session, world.user("engineer"), bay4, "suspect", clock.now())
    rma = open_on(session, world, clock, case, bay4)
    correct(session, world, rma, now=step(clock))
    session.expire_all()
    assert session.get(Component, bay4.id).state == "suspect"
    assert session.get(QuarantinedSerial, "ACME-001-D4") is None


def test_a_part_failed_before_the_rma_is_not_this_rmas_mistake(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    mark_component(session, world.user("engineer"), bay4, "failed", clock.now())
    rma = open_on(session, world, clock, case, bay4)
    assert corrections.correction_blocker(session, rma).endswith("so there is nothing of its own to correct.")
    with pytest.raises(CaseRuleError, match="already failed or quarantined before RMA-000001"):
        correct(session, world, rma, now=step(clock))
    session.rollback()
    session.expire_all()
    assert session.get(Component, bay4.id).state == "failed"
    assert session.get(QuarantinedSerial, "ACME-001-D4") is not None and count(session, ComponentCorrection) == 0


def test_nothing_is_corrected_once_anything_shipped(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    eng = world.user("engineer")
    rma = open_on(session, world, clock, case, bay4)
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1Z", now=step(clock))
    with pytest.raises(CaseRuleError, match=r"RMA-000001 has shipped \(the replacement\)"):
        correct(session, world, rma, now=step(clock))
    session.rollback()
    services.cancel(session, eng, rma, reason="Customer found a spare", now=step(clock))
    with pytest.raises(CaseRuleError, match="only be corrected before anything ships"):
        correct(session, world, rma, now=step(clock))
    session.rollback()
    session.expire_all()
    assert session.get(Component, bay4.id).state == "failed" and session.get(QuarantinedSerial, bay4.serial)


def test_nothing_is_corrected_once_the_return_leg_started(session, world, clock):
    case, bay2 = open_case(session, world, clock, org="globex", serial="GLOBEX-001", slot="bay 2")
    eng = world.user("engineer")
    rma = open_on(session, world, clock, case, bay2, kind="return_and_replace")
    returns.ship_return(session, eng, rma, carrier="DHL", tracking="R1", now=step(clock))
    assert rma.state == "return_pending"
    with pytest.raises(CaseRuleError, match=r"has shipped \(the return leg\)"):
        correct(session, world, rma, now=step(clock))
    session.rollback()
    services.cancel(session, eng, rma, reason="Wrong box", now=step(clock))
    with pytest.raises(CaseRuleError, match=r"has shipped \(the return leg\)"):
        correct(session, world, rma, now=step(clock))


def test_nothing_is_corrected_once_the_part_was_removed(session, world, clock):
    case, psu = open_case(session, world, clock, slot="PSU 1")
    eng = world.user("engineer")
    rma = open_on(session, world, clock, case, psu)
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="P1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    services.install(session, eng, rma, serial="PSU-NEW", now=step(clock))
    assert psu.state == "removed"
    with pytest.raises(CaseRuleError, match="has been removed from ACME-001"):
        correct(session, world, rma, now=step(clock))


def test_only_managers_with_a_reason_and_the_current_version_correct(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    rma = open_on(session, world, clock, case, bay4)
    for who in ("engineer", "field", "account", "acme_admin"):
        with pytest.raises(ForbiddenError, match="support manager"):
            correct(session, world, rma, actor=who, now=clock.now())
    with pytest.raises(CaseRuleError, match="Say why the failed mark was a mistake"):
        correct(session, world, rma, reason="  ", now=clock.now())
    with pytest.raises(ConflictError, match="changed since you opened it"):
        correct(session, world, rma, now=clock.now(), expected_version=rma.version - 1)
    session.rollback()
    session.expire_all()
    assert session.get(Rma, rma.id).state == "approved" and session.get(Component, bay4.id).state == "failed"


def test_another_open_rma_for_the_component_must_go_first(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    first = open_on(session, world, clock, case, bay4)
    services.cancel(session, world.user("engineer"), first, reason="Wrong kind", now=step(clock))
    second = open_on(session, world, clock, case, bay4, kind="onsite_dispatch")
    with pytest.raises(CaseRuleError, match="RMA-000002 is open for bay 4"):
        correct(session, world, first, now=step(clock))
    session.rollback()
    assert "already failed" in corrections.correction_blocker(session, second)  # it found the part failed


def test_older_rmas_fall_back_to_active_and_the_quarantine_row_opening_wrote(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    rma = open_on(session, world, clock, case, bay4)
    rma.component_state_before, rma.quarantine_added = None, None  # as before the columns existed
    session.commit()
    correct(session, world, rma, now=step(clock))
    session.expire_all()
    assert session.get(Component, bay4.id).state == "active" and session.get(QuarantinedSerial, bay4.serial) is None


def test_older_rmas_never_lift_a_quarantine_someone_else_set(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    rma = open_on(session, world, clock, case, bay4)
    rma.component_state_before, rma.quarantine_added = None, None
    row = session.get(QuarantinedSerial, bay4.serial)
    row.reason = "marked failed in ACME-001 bay 4"  # what mark_component writes
    session.commit()
    with pytest.raises(CaseRuleError, match="already failed or quarantined before"):
        correct(session, world, rma, now=step(clock))
    session.rollback()
    assert session.get(QuarantinedSerial, bay4.serial) is not None


def test_corrections_are_append_only(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    fix = correct(session, world, open_on(session, world, clock, case, bay4), now=step(clock))
    fix.reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()


# --- receiving a different serial ----------------------------------------------------


@pytest.fixture
def awaiting_return(session, world, clock):
    case, bay4 = open_case(session, world, clock)
    eng = world.user("engineer")
    rma = open_on(session, world, clock, case, bay4)
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    services.install(session, eng, rma, serial="NEW-D4", now=step(clock))
    return rma


def test_a_different_serial_is_refused_until_confirmed_and_then_recorded_with_both(
    session, world, clock, awaiting_return
):
    rma, eng = awaiting_return, world.user("engineer")
    version = rma.version
    with pytest.raises(returns.SerialMismatchUnconfirmed) as refused:
        returns.receive_return(session, eng, rma, returned_serial=" acme-001-d3 ", now=step(clock))
    assert (refused.value.expected, refused.value.returned) == ("ACME-001-D4", "ACME-001-D3")
    assert "confirm that the part received is SN ACME-001-D3, not SN ACME-001-D4" in str(refused.value)
    session.rollback()
    session.expire_all()
    rma = session.get(Rma, rma.id)
    assert rma.state == "return_pending" and rma.version == version and count(session, FailureAnalysis) == 0
    fa = returns.receive_return(
        session,
        eng,
        rma,
        returned_serial="ACME-001-D3",
        now=step(clock),
        confirm_mismatch=True,
        expected_version=version,
    )
    assert (fa.expected_serial, fa.returned_serial, fa.serial_matches) == ("ACME-001-D4", "ACME-001-D3", False)
    event = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == rma.case_id, CaseEvent.kind == "rma").order_by(CaseEvent.id.desc())
    ).first()
    assert event.public and "received SN ACME-001-D3, expected SN ACME-001-D4" in event.body
    assert f"{eng.name} confirmed the part received is SN ACME-001-D3, not SN ACME-001-D4" in event.body
    assert (
        count(
            session,
            Notification,
            Notification.user_id == world.user("account").id,
            Notification.subject.like("%returned serial does not match%"),
        )
        > 0
    )
    returns.analyse(session, eng, rma, result="no_fault_found", now=step(clock))
    analysed = session.scalars(
        select(CaseEvent.body).where(CaseEvent.case_id == rma.case_id).order_by(CaseEvent.id.desc())
    ).first()
    assert "No fault found on SN ACME-001-D3" in analysed
    assert "in place of the expected SN ACME-001-D4" in analysed


def test_the_matching_serial_needs_no_confirmation(session, world, clock, awaiting_return):
    fa = returns.receive_return(
        session, world.user("engineer"), awaiting_return, returned_serial="acme-001-d4", now=step(clock)
    )
    assert fa.serial_matches and fa.returned_serial == "ACME-001-D4"
    returns.analyse(
        session, world.user("engineer"), awaiting_return, result="confirmed", failure_code="MEDIA", now=step(clock)
    )
    body = session.scalars(select(CaseEvent.body).order_by(CaseEvent.id.desc())).first()
    assert "mismatch" not in body.lower() and "SN ACME-001-D4" in body
