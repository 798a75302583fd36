"""One domain error, one status: every ``casemgr.errors.DomainError`` answers the same status
through a web form and through the API, the API in its error shape, and neither keeps
anything the refused service had written (one rollback per request, by the edge)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from casemgr.assets.services import mark_component
from casemgr.auth.services import UserError
from casemgr.cases import services as case_services
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInput,
    NotFoundError,
    RuleError,
    SafetyRefused,
    TransitionError,
)
from casemgr.safety.rules import Decision
from casemgr.safety.services import Refusal, SafetyBlocked
from rma import services as rma_services
from rma.rules import RmaRuleError
from rma.states import RmaKind, RmaState, TransitionRefused
from tests.integration.test_rma_lifecycle import open_case as open_rma_case
from tests.integration.test_safety_paths import UNSAFE
from tests.web.test_api import assert_error, new_case

ENGINEER = "eng@vendor.example.com"

#: The contract, written out independently of the classes: (status, API code) per error.
ERRORS = [
    (NotFoundError("No such commitment on this case."), 404, "not_found"),
    (ForbiddenError("Only support staff can do that."), 403, "forbidden"),
    (ConflictError("The case was changed by someone else."), 409, "conflict"),
    (TransitionError("A case cannot move there.", current="new", allowed=("in_progress",)), 409, "conflict"),
    (
        TransitionRefused(
            RmaKind.ADVANCE_REPLACEMENT, RmaState.APPROVED, RmaState.CLOSED, (RmaState.SHIPPED, RmaState.CANCELLED)
        ),
        409,
        "conflict",
    ),
    (RuleError("A rule refuses this."), 422, "rule_violation"),
    (CaseRuleError("The case is already severity 1."), 422, "rule_violation"),
    (UserError("A user with e-mail x@example.com already exists."), 422, "rule_violation"),
    (RmaRuleError("The contract does not include onsite_dispatch."), 422, "rule_violation"),
    (InvalidInput("The severity is not a number.", details={"severity": ["Not a number."]}), 422, "validation_error"),
    (SafetyRefused("Failed parts never go back in."), 422, "safety_guard"),
    (
        SafetyBlocked(
            [
                Refusal(
                    Decision(False, "SG-TEST", "a failed drive never goes back in", "open an RMA"),
                    "reply",
                    "ACME-001-D2",
                    "reseat the drive",
                )
            ]
        ),
        422,
        "safety_guard",
    ),
]


def _version(session, number: str) -> int:
    session.expire_all()
    return session.scalar(select(Case.version).where(Case.number == number))


@pytest.mark.parametrize(("error", "status", "code"), ERRORS, ids=[type(e).__name__ for e, _s, _c in ERRORS])
def test_each_domain_error_has_the_same_status_on_a_web_form_and_in_the_api(
    world, web, api, session, monkeypatch, error, status, code
):
    assert isinstance(error, DomainError) and (error.status, error.code) == (status, code)
    number = new_case(api("acme_admin")).get_json()["number"]

    def refuse(session, actor, case, **_kw):
        case.subject = "written before the refusal"
        session.flush()  # a half-done write that the refusal must not leave behind
        raise error

    monkeypatch.setattr(case_services, "change_severity", refuse)  # behind both the form and the API route
    version = _version(session, number)

    page = web(ENGINEER).post(
        f"/cases/{number}/severity", data={"severity": "1", "version": str(version), "reason": "typed by the engineer"}
    )
    assert page.status_code == status
    text = html.unescape(page.get_data(as_text=True))
    if status in (403, 404):  # the error page, as for any page the user may not use
        assert ("Not allowed" if status == 403 else "Not found") in text
    else:  # the case page again, with the reason and the form as posted
        assert "typed by the engineer" in text and number in text
        if isinstance(error, SafetyBlocked):  # each rule refused, with its safe alternative
            assert "SG-TEST" in text and "A failed drive never goes back in" in text and "open an RMA" in text
        else:
            assert str(error) in text

    answer = api("engineer").post(f"/api/v1/cases/{number}/severity", json={"severity": 1, "version": version})
    body = assert_error(answer, status, code)
    assert body["message"] == str(error) and body["details"] == error.details

    session.expire_all()
    assert session.scalar(select(Case.subject).where(Case.number == number)) == "Degraded"


def test_the_details_name_what_the_api_client_needs():
    refused = ERRORS[4][0]
    assert refused.details == {"current": "approved", "allowed": ["shipped", "cancelled"]}
    assert ERRORS[-1][0].details[0]["rule"] == "SG-TEST"
    assert ERRORS[9][0].details == {"severity": ["Not a number."]}


def test_a_real_rule_violation_is_422_on_both(world, web, api, session):
    number = new_case(api("acme_admin")).get_json()["number"]
    version = _version(session, number)
    page = web(ENGINEER).post(f"/cases/{number}/severity", data={"severity": "2", "version": str(version)})
    assert page.status_code == 422 and "The case is already severity 2." in page.get_data(as_text=True)
    answer = api("engineer").post(f"/api/v1/cases/{number}/severity", json={"severity": 2, "version": version})
    assert assert_error(answer, 422, "rule_violation")["message"] == "The case is already severity 2."


def test_a_real_stale_version_is_409_on_both(world, web, api, session):
    number = new_case(api("acme_admin")).get_json()["number"]
    version = _version(session, number)
    assert (
        api("engineer").post(f"/api/v1/cases/{number}/severity", json={"severity": 1, "version": version}).status_code
        == 200
    )
    page = web(ENGINEER).post(f"/cases/{number}/severity", data={"severity": "3", "version": str(version)})
    assert page.status_code == 409
    answer = api("engineer").post(f"/api/v1/cases/{number}/severity", json={"severity": 3, "version": version})
    assert_error(answer, 409, "conflict")


def test_a_real_refused_rma_move_is_409_on_both(world, web, api, session, clock):
    case, bay4 = open_rma_case(session, world, clock)
    rma = rma_services.open_rma(
        session,
        world.user("engineer"),
        case,
        component_id=bay4.id,
        kind="advance_replacement",
        now=clock.now(),
        problem="Bay 4 amber",
    )
    page = web(ENGINEER).post(f"/rmas/{rma.number}/close", data={"version": str(rma.version)})
    assert page.status_code == 409
    assert "Allowed next: shipped, cancelled." in html.unescape(page.get_data(as_text=True))
    answer = api("engineer").post(
        f"/api/v1/rmas/{rma.number}/transitions", json={"to": "closed", "version": rma.version}
    )
    error = assert_error(answer, 409, "conflict")
    assert error["details"] == {"current": "approved", "allowed": ["shipped", "cancelled"]}
    session.expire_all()
    assert session.get(type(rma), rma.id).state == "approved"


def test_a_real_safety_refusal_is_422_on_both_and_its_record_is_kept(world, web, api, session):
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", world.acme_asset.created_at)
    number = new_case(api("acme_admin")).get_json()["number"]
    page = web(ENGINEER).post(f"/cases/{number}/reply", data={"body": UNSAFE, "visibility": "public"})
    assert page.status_code == 422 and "SG-REINSERT-FAILED" in page.get_data(as_text=True)
    answer = api("engineer").post(f"/api/v1/cases/{number}/comments", json={"body": UNSAFE})
    assert assert_error(answer, 422, "safety_guard")["details"][0]["rule"] == "SG-REINSERT-FAILED"
    from casemgr.safety.models import SafetyBlock

    session.expire_all()  # both refusals recorded (the audit row survives the request's rollback)
    assert len(session.scalars(select(SafetyBlock.id)).all()) == 2


def test_malformed_input_on_an_rma_form_is_refused_never_a_500(world, web, session, clock):
    case, bay4 = open_rma_case(session, world, clock)
    rma = rma_services.open_rma(
        session,
        world.user("engineer"),
        case,
        component_id=bay4.id,
        kind="advance_replacement",
        now=clock.now(),
        problem="Bay 4 amber",
    )
    page = web(ENGINEER).post(
        f"/rmas/{rma.number}/dispatch",
        data={"engineer_id": "abc", "window_start": "soon", "window_end": "later", "version": rma.version},
    )
    assert page.status_code == 422 and "Enter the visit window as date and time." in page.get_data(as_text=True)
    page = web(ENGINEER).post(
        f"/rmas/{rma.number}/dispatch",
        data={
            "engineer_id": "abc",
            "window_start": "2026-11-03T09:00",
            "window_end": "2026-11-03T11:00",
            "version": rma.version,
        },
    )
    assert page.status_code == 422 and "Choose an active field engineer." in page.get_data(as_text=True)
