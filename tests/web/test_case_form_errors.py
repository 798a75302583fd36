"""Each refusal of a case-page form says what is actually wrong (the field, the limit),
not one message for every error of the form. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from casemgr.cases.models import Case, CaseEvent
from escalation.defaults import seed_default_ladders
from tests.web.test_case_pages import case_number, open_case

ACME, MANAGER = "admin@acme.example.com", "mgr@vendor.example.com"


def alert(response) -> str:
    """The page's error banner."""
    found = re.search(r'<div class="flash error" role="alert">(.*?)</div>', response.get_data(as_text=True), re.S)
    assert found, response.get_data(as_text=True)[:3000]
    return html.unescape(found.group(1)).strip()


@pytest.fixture
def number(world, web) -> str:
    return case_number(open_case(web(ACME), severity="3"))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"severity": "2"}, "This form is out of date; reload the case and try again."),
        ({"severity": "2", "version": "1", "reason": "x" * 5000}, "The reason can be at most 500 characters."),
        ({"severity": "9", "version": "1"}, "Choose a severity from 1 to 4."),
        ({"version": "1"}, "Choose a severity from 1 to 4."),
    ],
)
def test_the_severity_form_names_what_is_wrong(session, web, number, form, message):
    response = web(MANAGER).post(f"/cases/{number}/severity", form)
    assert response.status_code == 400 and alert(response) == message
    session.expire_all()
    assert session.scalar(select(Case.severity).where(Case.number == number)) == 3


def test_a_reply_over_the_limit_names_the_limit(session, web, number):
    customer = web(ACME)
    events = len(session.scalars(select(CaseEvent.id)).all())
    response = customer.post(f"/cases/{number}/reply", {"body": "x" * 20_001, "visibility": "public"})
    assert response.status_code == 400 and alert(response) == "A reply can be at most 20,000 characters."
    odd = customer.post(f"/cases/{number}/reply", {"body": "hello", "visibility": "shout"})
    assert alert(odd) == "Choose a public reply or an internal note."
    assert len(session.scalars(select(CaseEvent.id)).all()) == events


@pytest.mark.parametrize(
    ("path", "form", "message"),
    [
        ("status", {"status": "bogus", "version": "1"}, "Choose a status from the list."),
        ("status", {"version": "1"}, "Choose a status."),
        (
            "status",
            {"status": "resolved", "version": "1", "note": "x" * 20_001},
            "The note can be at most 20,000 characters.",
        ),
        ("status", {"status": "resolved"}, "This form is out of date; reload the case and try again."),
        ("owner", {"owner_id": "abc", "version": "1"}, "Choose an owner."),
        ("owner", {"owner_id": "99999999999", "version": "1"}, "Choose an owner."),
        ("close", {"reason": "bogus", "version": "1"}, "Choose a close reason from the list."),
        (
            "close",
            {"reason": "end_of_support", "version": "1", "handoff_path": "x" * 2001},
            "The path offered to the customer can be at most 2,000 characters.",
        ),
        (
            "commitments",
            {"description": "", "recipient": "Ana", "due_at": "2026-11-03T10:00"},
            "Say what was promised.",
        ),
        (
            "commitments",
            {"description": "Call back", "recipient": "x" * 201, "due_at": "2026-11-03T10:00"},
            "To whom can be at most 200 characters.",
        ),
    ],
)
def test_the_other_case_forms_name_what_is_wrong(session, world, web, number, path, form, message):
    if path == "commitments":
        form = {**form, "owner_id": str(world.user("manager").id)}
    response = web(MANAGER).post(f"/cases/{number}/{path}", form)
    assert response.status_code == 400 and alert(response) == message
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == number))
    assert (case.status, case.owner_id, case.version) == ("new", None, 1)


def test_the_escalation_request_names_the_limit(session, world, web, number):
    seed_default_ladders(session)
    customer = web(ACME)
    empty = customer.post(f"/cases/{number}/escalation-request", {"reason": ""})
    assert empty.status_code == 400 and alert(empty) == "Tell us why you need escalation."
    long = customer.post(f"/cases/{number}/escalation-request", {"reason": "x" * 1001})
    assert alert(long) == "Tell us why you need escalation in at most 1,000 characters."
