"""RMA pages through the test client: scoping by role and tenant (404, never a leak),
409 on refused moves, the install refusal for quarantined serials, and the PDFs' text."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from casemgr.assets.models import Component
from rma import dispatch, services
from rma.models import Rma
from tests.integration.test_rma_lifecycle import PROBLEM, open_case, step

ENG = "eng@vendor.example.com"
FIELD = "field@vendor.example.com"


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def acme_rma(session, world, clock):
    """An Acme on-site RMA, delivered and dispatched to the us-east field engineer."""
    case, bay4 = open_case(session, world, clock)
    world.acme_asset.site.contact_name, world.acme_asset.site.contact_phone = "Wile Coyote", "+1 555 0100"
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay4.id, kind="onsite_dispatch", now=clock.now(), problem="Bay 4 amber"
    )
    services.ship_replacement(session, eng, rma, carrier="FedEx", tracking="FX-123", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    dispatch.schedule_dispatch(
        session,
        eng,
        rma,
        engineer_id=world.user("field").id,
        window_start=clock.now() + timedelta(hours=1),
        window_end=clock.now() + timedelta(hours=3),
        now=step(clock),
    )
    return rma


@pytest.fixture
def globex_rma(session, world, clock):
    case, bay2 = open_case(session, world, clock, org="globex", serial="GLOBEX-001", slot="bay 2")
    return services.open_rma(
        session,
        world.user("engineer"),
        case,
        component_id=bay2.id,
        kind="return_and_replace",
        now=clock.now(),
        problem=PROBLEM,
    )


def rma_urls(number: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/rmas/{number}"),
        ("GET", f"/rmas/{number}/authorization.pdf"),
        ("GET", f"/rmas/{number}/retention-certificate.pdf"),
    ] + [
        ("POST", f"/rmas/{number}/{action}")
        for action in (
            "approve",
            "ship",
            "deliver",
            "ship-return",
            "dispatch",
            "arrive",
            "note",
            "revisit",
            "install",
            "receive",
            "analyse",
            "retain",
            "close",
            "cancel",
            "correct",
        )
    ]


@pytest.mark.parametrize("email", ["admin@acme.example.com", "user@acme.example.com", "am@vendor.example.com", FIELD])
def test_every_rma_url_of_another_organisation_or_region_answers_404(world, web, globex_rma, email):
    client = web(email)
    for method, url in rma_urls(globex_rma.number):
        response = client.get(url) if method == "GET" else client.post(url, data={"serial": "X", "version": "1"})
        assert response.status_code == 404, (email, method, url)
        assert "GLOBEX-001" not in response.get_data(as_text=True)
    listing = client.get("/rmas/?state=all").get_data(as_text=True)
    assert globex_rma.number not in listing
    assert client.post(f"/cases/{globex_rma.case.number}/rmas", data={"component_id": "1"}).status_code == 404


def test_field_engineers_see_assigned_and_regional_rmas_only(session, world, web, clock, acme_rma, globex_rma):
    field = web(FIELD)
    assert field.get(f"/rmas/{acme_rma.number}").status_code == 200
    assert field.get(f"/rmas/{globex_rma.number}").status_code == 404
    world.globex_asset.site.region = "us-east"  # the region is copied at opening: still not theirs
    session.commit()
    assert field.get(f"/rmas/{globex_rma.number}").status_code == 404
    globex_rma.region = "us-east"
    session.commit()
    assert field.get(f"/rmas/{globex_rma.number}").status_code == 200
    world.user("field").region = "apac"  # assignment still reaches, region no longer does
    session.commit()
    assert field.get(f"/rmas/{acme_rma.number}").status_code == 200
    assert field.get(f"/rmas/{globex_rma.number}").status_code == 404
    # the case behind their own dispatch opens (read-only); a region's RMA alone does not open its case
    globex_rma.region = "apac"
    session.commit()
    assert field.get(f"/rmas/{globex_rma.number}").status_code == 200
    assert field.get(f"/cases/{acme_rma.case.number}").status_code == 200
    assert field.get(f"/cases/{globex_rma.case.number}").status_code == 404


def test_customers_and_account_managers_see_their_own(world, web, acme_rma, globex_rma):
    for email, mine, theirs in (
        ("admin@acme.example.com", acme_rma, globex_rma),
        ("admin@globex.example.com", globex_rma, acme_rma),
        ("am@vendor.example.com", acme_rma, globex_rma),
    ):
        client = web(email)
        assert client.get(f"/rmas/{mine.number}").status_code == 200, email
        assert client.get(f"/rmas/{theirs.number}").status_code == 404, email
    assert web("admin@acme.example.com").get("/rmas/dispatches").status_code == 404


def test_my_dispatches_show_site_time_window_contact_and_history(world, web, acme_rma):
    body = web(FIELD).get("/rmas/dispatches").get_data(as_text=True)
    assert acme_rma.number in body and "1 Acme Way" in body
    assert "Wile Coyote" in body and "+1 555 0100" in body
    assert "2026-11-02 05:30 EST" in body  # site local time now (10:30 UTC)
    assert "2026-11-02 06:00 EST" in body and "08:00 EST" in body  # the visit window
    assert "Amber LED" in body  # case history
    assert "My dispatches" in body


def test_the_field_engineer_records_arrival_notes_and_installation(session, world, web, clock, acme_rma):
    client = web(FIELD)
    assert client.post(f"/rmas/{acme_rma.number}/arrive", data={"version": acme_rma.version}).status_code == 302
    session.refresh(acme_rma)
    assert client.post(f"/rmas/{acme_rma.number}/note", data={"notes": "Dock B"}).status_code == 302
    session.refresh(acme_rma)
    response = client.post(
        f"/rmas/{acme_rma.number}/install", data={"serial": "web-new-4", "notes": "done", "version": acme_rma.version}
    )
    assert response.status_code == 302
    session.expire_all()
    rma = session.get(Rma, acme_rma.id)
    assert rma.state == "return_pending" and rma.installed_component.serial == "WEB-NEW-4"
    assert "Dock B" in rma.current_dispatch.notes


def test_a_refused_move_answers_409_naming_the_allowed_states(session, world, web, acme_rma):
    response = web(ENG).post(f"/rmas/{acme_rma.number}/close", data={"version": acme_rma.version})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "RMA is &#39;dispatched&#39;; cannot move to &#39;closed&#39;. Allowed next: on_site, cancelled." in text


def test_a_stale_version_answers_409(web, acme_rma):
    response = web(ENG).post(f"/rmas/{acme_rma.number}/arrive", data={"version": "1"})
    assert response.status_code == 409 and "changed since you opened it" in response.get_data(as_text=True)


def test_installing_a_quarantined_serial_through_the_web_is_refused(session, world, web, clock, acme_rma):
    client = web(FIELD)
    client.post(f"/rmas/{acme_rma.number}/arrive", data={"version": acme_rma.version})
    session.refresh(acme_rma)
    response = client.post(
        f"/rmas/{acme_rma.number}/install", data={"serial": "ACME-001-D4", "version": acme_rma.version}
    )
    assert response.status_code == 422
    assert "safety guard stopped this" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Rma, acme_rma.id).state == "on_site"
    assert session.scalar(select(Component.state).where(Component.serial == "ACME-001-D4")) == "failed"


def test_support_opens_an_rma_from_the_case_panel(session, world, web, clock):
    case, bay2 = open_case(session, world, clock, slot="bay 2")
    client = web(ENG)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "Open an RMA" in page and "On-site dispatch" in page and "Advance replacement" in page
    assert "Return and replace" not in page  # Premium offers the two better kinds
    form = {"component_id": bay2.id, "kind": "advance_replacement", "disposition": "return", "problem": "amber"}
    review = client.post(f"/cases/{case.number}/rmas", data=form)
    assert review.status_code == 200 and "Confirm and open RMA" in review.get_data(as_text=True)
    assert session.scalar(select(Rma.id)) is None  # the first post only asks for the confirmation
    response = client.post(f"/cases/{case.number}/rmas", data={**form, "confirm": "yes"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/rmas/RMA-000001")
    assert web("admin@acme.example.com").get(f"/cases/{case.number}").status_code == 200
    refused = client.post(f"/cases/{case.number}/rmas", data={**form, "confirm": "yes"})
    assert refused.status_code == 422 and "RMA-000001 is already open for bay 2" in refused.get_data(as_text=True)
    customer = web("admin@acme.example.com")
    assert customer.post(f"/cases/{case.number}/rmas", data={**form, "confirm": "yes"}).status_code == 403


def test_the_customer_sees_shipments_on_the_case_and_the_rma(world, web, acme_rma):
    client = web("admin@acme.example.com")
    for url in (f"/cases/{acme_rma.case.number}", f"/rmas/{acme_rma.number}"):
        body = client.get(url).get_data(as_text=True)
        assert "FedEx" in body and "FX-123" in body, url
    assert "Dock" not in client.get(f"/rmas/{acme_rma.number}").get_data(as_text=True)


def test_the_rma_list_for_vendor_roles(world, web, acme_rma, globex_rma):
    body = web(ENG).get("/rmas/").get_data(as_text=True)
    assert acme_rma.number in body and globex_rma.number in body
    body = web(FIELD).get("/rmas/").get_data(as_text=True)
    assert acme_rma.number in body and globex_rma.number not in body


def test_the_authorization_pdf_carries_numbers_serials_addresses_and_instructions(session, world, web, acme_rma):
    response = web("admin@acme.example.com").get(f"/rmas/{acme_rma.number}/authorization.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.get_data())
    for expected in (
        acme_rma.number,
        acme_rma.case.number,
        "ACME-001",
        "ACME-001-D4",
        "DRV-1",
        "bay 4",
        "Acme",
        "1 Acme Way",
        "Casemgr Returns Center",
        "4400 Logistics Pkwy",
        "FX-123",
        "Packing slip",
        "Write RMA-000001 on the outside of the box",
        "Never reinstall the failed part",
    ):
        assert expected in text, expected


def test_the_retention_certificate_pdf(session, world, web, clock):
    world.premium.keep_your_drive = True
    session.commit()
    case, bay1 = open_case(session, world, clock, slot="bay 1")
    eng = world.user("engineer")
    rma = services.open_rma(
        session, eng, case, component_id=bay1.id, kind="advance_replacement", now=clock.now(), problem=PROBLEM
    )
    client = web("admin@acme.example.com")
    assert client.get(f"/rmas/{rma.number}/retention-certificate.pdf").status_code == 404  # not yet retained
    auth = pdf_text(client.get(f"/rmas/{rma.number}/authorization.pdf").get_data())
    assert "No return needed" in auth and "keep-your-drive" in auth
    services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1", now=step(clock))
    services.deliver_replacement(session, eng, rma, now=step(clock))
    services.install(session, eng, rma, serial="KEEP-NEW-1", now=step(clock))
    response = client.get(f"/rmas/{rma.number}/retention-certificate.pdf")
    assert response.status_code == 200
    text = pdf_text(response.get_data())
    for expected in (
        "Media Retention Certificate",
        rma.number,
        "ACME-001-D1",
        "ACME-001",
        "Acme",
        "DRV-1",
        "KEEP-NEW-1",
        clock.now().strftime("%Y-%m-%d"),
        "1 Acme Way",
    ):
        assert expected in text, expected
    assert web("admin@globex.example.com").get(f"/rmas/{rma.number}/retention-certificate.pdf").status_code == 404
