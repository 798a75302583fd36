"""One gate for customer-visible text: every place that writes a public timeline entry is
found in the source (not listed by hand) and proven to refuse an unsafe instruction, on
SQLite and PostgreSQL.

Writers of public entries are the calls of ``casemgr.cases.timeline.append`` / ``row``
whose ``public`` is not the literal ``False``. Each must have a scenario below: vendor
text is refused by the safety guard (nothing stored, a SafetyBlock recorded); text only a
customer can write is refused to vendor staff. A new writer without a scenario fails
``test_every_public_writer_has_a_refusal_scenario``.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casemgr.cases import comments, commitments, opening, services
from casemgr.cases.action_plans import PlanStep, send_action_plan
from casemgr.cases.models import CaseEvent
from casemgr.channels import mail_services
from casemgr.errors import ForbiddenError
from casemgr.safety.models import SafetyBlock
from casemgr.safety.services import SafetyBlocked
from escalation.services import Settings, request_escalation
from reports.services import rate_case
from rma import returns
from rma import services as rma_services

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UNSAFE = "Please reinsert the failed drive in bay 2"
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("casemgr", "rma", "escalation", "reports")
TIMELINE = ROOT / "casemgr" / "cases" / "timeline.py"


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(), filename=str(path))


def _qualname(path: Path, stack: list[str]) -> str:
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return f"{module}:{'.'.join(stack)}"


def _calls(tree: ast.AST):
    """(enclosing function names, call) for every call in the tree."""

    def visit(node, stack):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from visit(child, stack + [child.name])
            else:
                if isinstance(child, ast.Call):
                    yield stack, child
                yield from visit(child, stack)

    yield from visit(tree, [])


def _keyword(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is False)


def public_writers() -> set[str]:
    found = set()
    for path, tree in _modules():
        for stack, call in _calls(tree):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("append", "row")
                and isinstance(func.value, ast.Name)
                and func.value.id == "timeline"
                and not _is_false(_keyword(call, "public"))
            ):
                found.add(_qualname(path, stack))
    return found


def direct_case_events() -> list[str]:
    """``CaseEvent(...)`` built anywhere but the timeline module with ``public`` not literally False."""
    found = []
    for path, tree in _modules():
        if path == TIMELINE or path.name == "demo.py":  # demo seeds are fixed text in the repository
            continue
        for stack, call in _calls(tree):
            if (
                isinstance(call.func, ast.Name)
                and call.func.id == "CaseEvent"
                and not _is_false(_keyword(call, "public"))
            ):
                found.append(_qualname(path, stack))
    return found


def test_no_public_entry_bypasses_the_timeline():
    assert direct_case_events() == []


# ---- scenarios ---------------------------------------------------------------------------


@pytest.fixture
def failed_case(failed_case, session, world):
    """The shared failed case (bay 2 failed), owned by the engineer."""
    services.assign_owner(
        session, world.user("engineer"), failed_case, owner_id=world.user("engineer").id, expected_version=None, now=T0
    )
    return failed_case


def _rma(session, world, case):
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    return rma_services.open_rma(
        session,
        world.user("engineer"),
        case,
        component_id=bay2.id,
        kind="advance_replacement",
        disposition="return",
        problem="Drive failed",
        now=T0,
    )


def _vendor_opens(s, w, store, case):
    opening.open_case(
        s,
        w.user("engineer"),
        store,
        asset_serial="ACME-001",
        severity=3,
        subject="Follow-up",
        description=UNSAFE,
        now=T0,
    )


def _return_shipped_with_a_note(s, w, store, case):
    rma = _rma(s, w, case)
    rma_services.ship_replacement(s, w.user("engineer"), rma, carrier="UPS", tracking="1Z1", now=T0)
    rma_services.deliver_replacement(s, w.user("engineer"), rma, now=T0)
    rma_services.install(s, w.user("engineer"), rma, serial="NEW-D2", now=T0)
    first = returns.ship_return(s, w.user("engineer"), rma, carrier="UPS", tracking="1Z2", now=T0)
    assert first.direction == "return"
    returns.ship_return(s, w.user("engineer"), rma, carrier=UNSAFE[:64], tracking="1Z3", now=T0)


def _alert_from_a_vendor_account(s, w, store, case):
    """The alert's asset is looked up in the account's own organisation: a vendor account's
    alert naming a customer's serial becomes a triage case of its own, never an entry on the
    customer's case."""
    from casemgr.channels.alerts import Alert, receive

    alert = Alert(fingerprint="f1", status="firing", serial="ACME-001", severity=2, summary=UNSAFE, description=UNSAFE)
    [outcome] = receive(s, w.user("engineer"), [alert], store, T0)
    assert outcome.action == "triage" and outcome.case_number != case.number


def _watcher_named_unsafely(s, w, store, case):
    """A watcher's name goes into the public audit entry: the guard reads it like any vendor text."""
    from casemgr.auth.models import User
    from casemgr.cases.watchers import add_watcher

    odd = User(
        email="odd@acme.example.com",
        name=UNSAFE[:200],
        password_hash="x",
        role="customer_user",
        organization_id=w.acme.id,
        created_at=T0,
    )
    s.add(odd)
    s.commit()
    add_watcher(s, w.user("engineer"), case, user_id=odd.id, now=T0)


def _missed_commitment_worded_unsafely(s, w, store, case):
    """A commitment's text is repeated in the public "missed" entry: guarded again there."""
    from datetime import timedelta

    from casemgr.cases.commitments import announce_missed
    from casemgr.cases.models import Commitment

    eng = w.user("engineer")
    s.add(
        Commitment(
            case_id=case.id,
            description=UNSAFE[:500],
            recipient="Ana",
            owner_id=eng.id,
            due_at=T0,
            status="open",
            created_by_id=eng.id,
            created_at=T0,
        )
    )
    s.commit()
    announce_missed(s, T0 + timedelta(hours=1))


def _bay2(w):
    return next(c.id for c in w.acme_asset.components if c.slot == "bay 2")


REFUSED, CUSTOMER_ONLY, UNREACHABLE = "refused", "customer only", "unreachable by vendor text"
SCENARIOS = {
    "casemgr.cases.opening:open_case": (REFUSED, _vendor_opens),
    "casemgr.cases.comments:add_comment": (
        REFUSED,
        lambda s, w, store, case: comments.add_comment(
            s, w.user("engineer"), store, case, body=UNSAFE, public=True, now=T0
        ),
    ),
    "casemgr.cases.services:_set_status": (
        REFUSED,
        lambda s, w, store, case: services.change_status(
            s, w.user("engineer"), case, new_status="waiting_customer", expected_version=None, now=T0, note=UNSAFE
        ),
    ),
    "casemgr.cases.services:change_severity": (
        REFUSED,
        lambda s, w, store, case: services.change_severity(
            s, w.user("engineer"), case, severity=1, expected_version=None, now=T0, reason=UNSAFE
        ),
    ),
    "casemgr.cases.services:close_case": (
        REFUSED,
        lambda s, w, store, case: services.close_case(
            s,
            w.user("engineer"),
            case,
            reason="end_of_support",
            expected_version=None,
            now=T0,
            handoff_manager_id=w.user("account").id,
            handoff_path=UNSAFE,
        ),
    ),
    # a triage case has no asset, so nothing on it can be put back; its text is the sender's
    "casemgr.cases.opening:open_triage_case": (UNREACHABLE, None),
    "casemgr.cases.commitments:record_commitment": (
        REFUSED,
        lambda s, w, store, case: commitments.record_commitment(
            s,
            w.user("engineer"),
            case,
            description=UNSAFE,
            recipient="Ana",
            owner_id=w.user("engineer").id,
            due_at=T0 + timedelta(hours=2),
            now=T0,
        ),
    ),
    # its entry repeats the description that record_commitment checked
    "casemgr.cases.commitments:mark_kept": (UNREACHABLE, None),
    "casemgr.cases.action_plans:send_action_plan": (
        REFUSED,
        lambda s, w, store, case: send_action_plan(
            s, w.user("engineer"), case, [PlanStep("collect_logs", None, UNSAFE)], T0
        ),
    ),
    "rma.services:open_rma": (
        REFUSED,
        lambda s, w, store, case: rma_services.open_rma(
            s,
            w.user("engineer"),
            case,
            component_id=_bay2(w),
            kind="advance_replacement",
            disposition="return",
            problem=UNSAFE,
            now=T0,
        ),
    ),
    "rma.lifecycle:record_move": (
        REFUSED,
        lambda s, w, store, case: rma_services.cancel(s, w.user("engineer"), _rma(s, w, case), reason=UNSAFE, now=T0),
    ),
    "rma.lifecycle:record_note": (REFUSED, _return_shipped_with_a_note),
    "escalation.services:request_escalation": (
        CUSTOMER_ONLY,
        lambda s, w, store, case: request_escalation(
            s, w.user("engineer"), case, reason=UNSAFE, now=T0, settings=Settings()
        ),
    ),
    "reports.services:rate_case": (
        CUSTOMER_ONLY,
        lambda s, w, store, case: rate_case(s, w.user("engineer"), case, rating=5, comment=UNSAFE, now=T0),
    ),
    "casemgr.channels.alerts:_receive_one": (UNREACHABLE, _alert_from_a_vendor_account),
    # mail whose sender is not authenticated has no known author: checked like vendor text
    "casemgr.channels.mail_services:file_unverified": (
        REFUSED,
        lambda s, w, store, case: mail_services.file_unverified(
            s,
            store,
            case,
            sender="admin@acme.example.com",
            sender_name="",
            body=UNSAFE,
            internal=False,
            reason="not authenticated",
            uploads=[],
            now=T0,
        ),
    ),
    # the names of attachments left out are the sender's words
    "casemgr.channels.mail_services:note_left_out": (
        REFUSED,
        lambda s, w, store, case: mail_services.note_left_out(
            s, case, [(UNSAFE, 5 << 20)], 1 << 20, public=True, now=T0
        ),
    ),
    "casemgr.cases.watchers:_audit": (REFUSED, _watcher_named_unsafely),
    "casemgr.cases.commitments:announce_missed": (REFUSED, _missed_commitment_worded_unsafely),
}


def test_every_public_writer_has_a_refusal_scenario():
    assert public_writers() == set(SCENARIOS)


def _public_bodies(session) -> list[str]:
    session.rollback()
    return [b or "" for b in session.scalars(select(CaseEvent.body).where(CaseEvent.public.is_(True)))]


@pytest.mark.parametrize("writer", sorted(k for k, (kind, _) in SCENARIOS.items() if kind == REFUSED))
def test_each_public_writer_refuses_an_unsafe_instruction(session, world, store, failed_case, writer):
    blocks_before = session.scalar(select(func.count()).select_from(SafetyBlock))
    with pytest.raises(SafetyBlocked) as refused:
        SCENARIOS[writer][1](session, world, store, failed_case)
    assert refused.value.refusals[0].decision.rule_code == "SG-REINSERT-FAILED"
    assert not any(UNSAFE.lower() in body.lower() for body in _public_bodies(session))
    blocks = session.scalars(select(SafetyBlock).order_by(SafetyBlock.id)).all()
    assert len(blocks) > blocks_before and UNSAFE[:40] in blocks[-1].attempted


@pytest.mark.parametrize("writer", sorted(k for k, (kind, _) in SCENARIOS.items() if kind == CUSTOMER_ONLY))
def test_writers_only_a_customer_may_use_refuse_vendor_staff(session, world, store, failed_case, writer):
    with pytest.raises(ForbiddenError):
        SCENARIOS[writer][1](session, world, store, failed_case)
    assert not any(UNSAFE.lower() in body.lower() for body in _public_bodies(session))


def test_a_vendor_accounts_alert_never_lands_on_the_customers_case(session, world, store, failed_case):
    _alert_from_a_vendor_account(session, world, store, failed_case)
    bodies = session.scalars(select(CaseEvent.body).where(CaseEvent.case_id == failed_case.id)).all()
    assert not any(UNSAFE in (b or "") for b in bodies)
