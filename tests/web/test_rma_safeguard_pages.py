"""The pages of "failed parts never go back in", through the test client on SQLite and
PostgreSQL: the open-RMA form (nothing preselected, a problem required, a confirmation
naming the component), a support manager's correction of a mistaken failed mark (and its
listing on the Safety blocks page), and receiving a serial other than the failed one."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from casemgr.assets.models import Component, QuarantinedSerial
from casemgr.safety.models import ComponentCorrection
from rma import returns, services
from rma.models import FailureAnalysis, Rma
from tests.integration.test_rma_lifecycle import PROBLEM, open_case, step
from tests.web.test_rma_pages import pdf_text

ENG, MANAGER, CUSTOMER = "eng@vendor.example.com", "mgr@vendor.example.com", "admin@acme.example.com"


def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def component_select(page: str) -> str:
    return re.search(r'<select name="component_id".*?</select>', page, re.S).group(0)


@pytest.fixture
def fan_case(session, world, clock):
    """A case about bay 2 of ACME-001 (Premium: approved at once)."""
    return open_case(session, world, clock, slot="bay 2")


# --- the open-RMA form --------------------------------------------------------------


def test_the_panel_preselects_no_component(world, web, fan_case):
    case, bay2 = fan_case
    select_html = component_select(web(ENG).get(f"/cases/{case.number}").get_data(as_text=True))
    options = re.findall(r"<option[^>]*>[^<]*</option>", select_html)
    assert options[0] == '<option value="">Choose the failed component…</option>'
    assert "selected" not in select_html and "required" in select_html
    assert len(options) == 1 + 5  # four bays and the PSU, none chosen
    assert re.search(r"bay 2 · DRV-1 · SN ACME-001-D2 \(active\) · named on the case</option>", select_html)


def test_the_first_post_only_asks_for_a_confirmation_naming_the_component(session, world, web, fan_case):
    case, bay2 = fan_case
    client = web(ENG)
    form = {
        "component_id": bay2.id,
        "kind": "onsite_dispatch",
        "disposition": "certified_destruction",
        "problem": 'Bay 2 amber; "RAID degraded"\nsecond line',
    }
    review = client.post(f"/cases/{case.number}/rmas", data=form)
    assert review.status_code == 200
    body = text_of(review)
    assert (
        "SN ACME-001-D2 in bay 2 (part DRV-1, 4 TB drive) will be marked failed and quarantined; "
        "it can never be reinstalled."
    ) in body
    assert "Confirm and open RMA" in body and "Back" in body and "the component named on the case" in body
    assert "Returned to us and destroyed, with a destruction certificate" in body and "Bay 2 amber" in body
    session.expire_all()
    assert session.get(Component, bay2.id).state == "active"
    assert session.scalar(select(Rma.id)) is None and session.get(QuarantinedSerial, bay2.serial) is None
    # Back returns to the form with everything as typed; nothing is written either.
    back = client.post(f"/cases/{case.number}/rmas", data={**form, "back": "1"})
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and f'<option value="{bay2.id}" selected>' in component_select(page)
    assert "Bay 2 amber; &#34;RAID degraded&#34;\nsecond line</textarea>" in page
    assert '<option value="onsite_dispatch" selected>' in page
    assert '<option value="certified_destruction" selected>' in page
    assert session.scalar(select(Rma.id)) is None
    # Only the confirmation opens it, with the problem exactly as typed.
    opened = client.post(f"/cases/{case.number}/rmas", data={**form, "confirm": "yes"})
    assert opened.status_code == 302
    session.expire_all()
    rma = session.scalar(select(Rma))
    assert rma.failed_component_id == bay2.id and rma.problem == form["problem"]
    assert rma.kind == "onsite_dispatch" and rma.disposition == "certified_destruction"
    assert session.get(Component, bay2.id).state == "failed"


def test_the_confirmation_carries_the_form_in_hidden_fields(world, web, fan_case):
    case, bay2 = fan_case
    page = (
        web(ENG)
        .post(
            f"/cases/{case.number}/rmas",
            data={"component_id": bay2.id, "kind": "advance_replacement", "problem": "amber"},
        )
        .get_data(as_text=True)
    )
    forms = re.findall(r"<form .*?</form>", page, re.S)
    confirm = next(f for f in forms if "Confirm and open RMA" in f)
    back = next(f for f in forms if ">Back<" in f)
    for f in (confirm, back):
        assert f'name="component_id" value="{bay2.id}"' in f and 'name="problem" value="amber"' in f
        assert 'name="csrf_token"' in f
    assert 'name="confirm" value="yes"' in confirm and 'name="confirm"' not in back


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("component_id", "Choose the failed component: it is marked failed and quarantined for good"),
        ("problem", "Describe the problem the replacement fixes"),
    ],
)
@pytest.mark.parametrize("confirm", [False, True])
def test_a_missing_component_or_problem_is_a_form_error_keeping_what_was_typed(
    session, world, web, fan_case, missing, message, confirm
):
    case, bay2 = fan_case
    form = {
        "component_id": str(bay2.id),
        "kind": "advance_replacement",
        "problem": "Bay 2 amber since Monday",
        missing: "",
    }
    if confirm:
        form["confirm"] = "yes"  # even a crafted confirmation is refused
    response = web(ENG).post(f"/cases/{case.number}/rmas", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422  # a rule of opening, as in the API
    assert f'<p class="field-error" id="err-{missing}">{message}' in page
    assert "RMA not opened" in page and "Nothing was marked failed" in page
    if missing == "problem":
        assert f'<option value="{bay2.id}" selected>' in component_select(page)
    else:
        assert "Bay 2 amber since Monday</textarea>" in page and "selected" not in component_select(page)
    session.expire_all()
    assert session.scalar(select(Rma.id)) is None and session.get(Component, bay2.id).state == "active"


def test_other_refusals_keep_the_form_too(world, web, fan_case):
    case, bay2 = fan_case
    response = web(ENG).post(
        f"/cases/{case.number}/rmas",
        data={"component_id": bay2.id, "kind": "return_and_replace", "problem": "amber", "confirm": "yes"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "The contract does not include return_and_replace" in page
    assert f'<option value="{bay2.id}" selected>' in component_select(page) and "amber</textarea>" in page


def test_only_support_staff_reach_the_form_and_its_steps(world, web, fan_case):
    case, bay2 = fan_case
    form = {"component_id": bay2.id, "kind": "advance_replacement", "problem": "amber"}
    for extra in ({}, {"back": "1"}, {"confirm": "yes"}):
        assert web(CUSTOMER).post(f"/cases/{case.number}/rmas", data={**form, **extra}).status_code == 403
        assert (
            web("admin@globex.example.com").post(f"/cases/{case.number}/rmas", data={**form, **extra}).status_code
            == 404
        )


# --- correcting a mistaken failed mark ---------------------------------------------------


@pytest.fixture
def mistaken(session, world, clock, fan_case):
    case, bay2 = fan_case
    return services.open_rma(
        session,
        world.user("engineer"),
        case,
        component_id=bay2.id,
        kind="advance_replacement",
        now=clock.now(),
        problem="Fan noise",
    )


def test_only_managers_see_and_use_the_correction(session, world, web, mistaken):
    url = f"/rmas/{mistaken.number}"
    assert "Correct the failed mark" in web(MANAGER).get(url).get_data(as_text=True)
    assert "Correct the failed mark" in web("root@vendor.example.com").get(url).get_data(as_text=True)
    for email in (ENG, CUSTOMER):
        assert "Correct the failed mark" not in web(email).get(url).get_data(as_text=True)
    form = {"reason": "oops", "version": mistaken.version}
    assert web(ENG).post(f"{url}/correct", data=form).status_code == 403
    assert web(CUSTOMER).post(f"{url}/correct", data=form).status_code == 403
    session.expire_all()
    assert session.get(Rma, mistaken.id).state == "approved"


def test_a_manager_corrects_from_the_rma_page_and_it_is_listed_on_the_safety_page(session, world, web, clock, mistaken):
    manager = web(MANAGER)
    url = f"/rmas/{mistaken.number}"
    refused = manager.post(f"{url}/correct", data={"reason": " ", "version": mistaken.version})
    assert refused.status_code == 422 and "Say why the failed mark was a mistake" in refused.get_data(as_text=True)
    stale = manager.post(f"{url}/correct", data={"reason": "x", "version": mistaken.version - 1})
    assert stale.status_code == 409
    done = manager.post(
        f"{url}/correct",
        data={"reason": "The case is about fan noise", "version": mistaken.version},
        follow_redirects=True,
    )
    body = text_of(done)
    assert done.status_code == 200
    assert "RMA-000001: failed mark corrected; bay 2 (SN ACME-001-D2) is active again." in body
    assert (
        "Failed mark corrected: bay 2 (SN ACME-001-D2) was marked failed by mistake; Mgr put it back to active" in body
    )
    assert "Reason: The case is about fan noise" in body and "Correct the failed mark" not in body
    session.expire_all()
    assert session.get(Rma, mistaken.id).state == "cancelled"
    assert session.get(Component, mistaken.failed_component_id).state == "active"
    customer = text_of(web(CUSTOMER).get(f"/cases/{mistaken.case.number}"))
    assert "was marked failed by mistake" in customer and "Reason: The case is about fan noise" in customer
    safety = text_of(manager.get("/safety/blocks"))
    section = safety[safety.index("Corrections") :]
    for expected in (
        "Mgr",
        mistaken.case.number,
        "Acme",
        "bay 2",
        "DRV-1",
        "SN ACME-001-D2",
        "failed → active",
        "RMA-000001 cancelled",
        "quarantine lifted",
        "The case is about fan noise",
        clock.now().strftime("%Y-%m-%d"),
    ):
        assert expected in section, expected
    assert "No corrections match" not in section
    assert "No corrections match" in text_of(manager.get(f"/safety/blocks?org={world.globex.id}"))
    assert web(ENG).get("/safety/blocks").status_code == 404


def test_once_shipped_the_page_offers_no_correction_and_a_post_says_why(session, world, web, clock, mistaken):
    services.ship_replacement(session, world.user("engineer"), mistaken, carrier="UPS", tracking="1Z", now=step(clock))
    manager = web(MANAGER)
    assert "Correct the failed mark" not in manager.get(f"/rmas/{mistaken.number}").get_data(as_text=True)
    session.refresh(mistaken)
    refused = manager.post(f"/rmas/{mistaken.number}/correct", data={"reason": "oops", "version": mistaken.version})
    assert refused.status_code == 422
    assert (
        "RMA-000001 has shipped (the replacement): a failed mark can only be corrected before anything ships."
        in text_of(refused)
    )
    assert session.scalar(select(ComponentCorrection.id)) is None


# --- receiving a different serial ----------------------------------------------------------


@pytest.fixture
def returning(session, world, clock, fan_case):
    case, bay2 = fan_case
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay2.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    services.install(session, eng, rma, serial="NEW-D2", now=step(clock))
    return rma


CHECKBOX = "I confirm the part received is SN ACME-001-D3, not SN ACME-001-D2"


def test_a_different_serial_comes_back_with_a_warning_and_a_checkbox(session, world, web, returning):
    client, url = web(ENG), f"/rmas/{returning.number}"
    assert CHECKBOX not in text_of(client.get(url))
    refused = client.post(f"{url}/receive", data={"returned_serial": "acme-001-d3", "version": returning.version})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and CHECKBOX in page
    assert '<input type="checkbox" name="confirm_serial_mismatch" value="ACME-001-D3">' in page
    assert 'name="returned_serial" required value="acme-001-d3"' in page  # what was typed stays
    assert "Not recorded yet: the serial does not match." in text_of(refused)
    session.expire_all()
    assert (
        session.get(Rma, returning.id).state == "return_pending" and session.scalar(select(FailureAnalysis.id)) is None
    )
    # A confirmation given for another serial does not cover this one.
    confirmed = {"confirm_serial_mismatch": "ACME-001-D3", "version": returning.version}
    other = client.post(f"{url}/receive", data={"returned_serial": "ACME-001-D1", **confirmed})
    assert other.status_code == 422 and "not SN ACME-001-D2" in text_of(other)
    assert session.scalar(select(FailureAnalysis.id)) is None
    accepted = client.post(f"{url}/receive", data={"returned_serial": "acme-001-d3", **confirmed})
    assert accepted.status_code == 302
    session.expire_all()
    fa = session.get(Rma, returning.id).analysis
    assert (fa.expected_serial, fa.returned_serial, fa.serial_matches) == ("ACME-001-D2", "ACME-001-D3", False)


def test_once_accepted_the_rma_page_and_pdf_name_both_serials(session, world, web, clock, returning):
    eng = world.user("engineer")
    returns.receive_return(
        session, eng, returning, returned_serial="ACME-001-D3", now=step(clock), confirm_mismatch=True
    )
    returns.analyse(session, eng, returning, result="confirmed", failure_code="MEDIA", now=step(clock))
    banner = "Serial mismatch: the part received is SN ACME-001-D3, not SN ACME-001-D2."
    for email in (ENG, CUSTOMER):
        page = web(email).get(f"/rmas/{returning.number}")
        body = text_of(page)
        assert banner in body, email
        assert body.index(banner) < body.index("Progress"), "the banner sits at the top"
        assert re.search(r"Expected\s*SN ACME-001-D2", body) and re.search(r"Received\s*SN ACME-001-D3", body)
        assert "in place of the expected SN ACME-001-D2" in body  # the analysis entry on the timeline
    pdf = pdf_text(web(CUSTOMER).get(f"/rmas/{returning.number}/authorization.pdf").get_data())
    assert "SERIAL MISMATCH" in pdf and "ACME-001-D3" in pdf and "ACME-001-D2" in pdf
    assert "Confirmed failure (MEDIA)" in pdf


def test_a_matching_serial_shows_no_banner(session, world, web, clock, returning):
    response = web(ENG).post(
        f"/rmas/{returning.number}/receive", data={"returned_serial": "ACME-001-D2", "version": returning.version}
    )
    assert response.status_code == 302
    body = text_of(web(ENG).get(f"/rmas/{returning.number}"))
    assert "Serial mismatch" not in body and "matches" in body
