"""Case pages through Flask's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from casemgr.cases.models import Case, CaseEvent

ACME = "admin@acme.example.com"
GLOBEX = "admin@globex.example.com"
ENGINEER = "eng@vendor.example.com"


def open_case(client, **overrides):
    data = {
        "asset_serial": "ACME-001",
        "severity": "2",
        "subject": "Array degraded",
        "description": "RAID group 1 degraded after bay 2 went amber.",
    }
    data.update(overrides)
    return client.post("/cases/new", data=data, content_type="multipart/form-data")


def case_number(response) -> str:
    return re.search(r"/cases/(CS-\d{6})/acknowledgement", response.headers["Location"]).group(1)


def test_the_admin_sees_assets_with_their_contract_and_plainly_out_of_contract_ones(world, web):
    page = web(GLOBEX).get("/assets/").get_data(as_text=True)
    assert "GLOBEX-001" in page and "Standard 8x5 NBD" in page
    assert "GLOBEX-OLD" in page and "Out of contract" in page
    assert "ACME-001" not in page
    detail = web(GLOBEX).get("/assets/GLOBEX-001").get_data(as_text=True)
    assert "bay 3" in detail and "GLOBEX-001-D3" in detail
    assert "Mon-Fri 08:00-18:00" in detail and "2026-01-01 to 2027-12-31" in detail


def test_opening_a_case_with_a_log_gives_a_number_and_an_acknowledgement(world, web, session):
    admin = web(ACME)
    response = open_case(admin, attachments=[(io.BytesIO(b"sd 0:0:2: timeout\n"), "array.log")])
    assert response.status_code == 302
    number = case_number(response)
    ack = admin.get(f"/cases/{number}/acknowledgement").get_data(as_text=True)
    assert f'We have your case: <span class="mono">{number}</span>' in ack
    listing = admin.get("/cases/").get_data(as_text=True)
    assert number in listing and "Array degraded" in listing
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    link = re.search(rf'href="(/cases/{number}/attachments/\d+)"', page).group(1)
    download = admin.get(link)
    assert download.data == b"sd 0:0:2: timeout\n"
    assert "attachment; filename=array.log" in download.headers["Content-Disposition"]
    assert download.mimetype == "application/octet-stream"


def test_a_case_on_an_uncovered_asset_is_accepted_and_flagged_not_entitled(world, web):
    admin = web(GLOBEX)
    response = open_case(admin, asset_serial="GLOBEX-OLD")
    number = case_number(response)
    assert "Not entitled" in admin.get(f"/cases/{number}/acknowledgement").get_data(as_text=True)
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    assert "not entitled" in page and "No active support contract covers GLOBEX-OLD" in page


def test_the_open_form_shows_the_severity_definitions(world, web):
    page = web(ACME).get("/cases/new").get_data(as_text=True)
    for text in (
        "Production down or data at risk.",
        "Production impaired or redundancy lost.",
        "Limited impact, non-production.",
        "Question, how-to, request.",
    ):
        assert text in page


def test_bad_input_on_the_open_form_is_explained_and_nothing_is_stored(world, web, session):
    admin = web(ACME)
    for overrides, message in [
        ({"subject": ""}, "This field is required."),
        ({"severity": "9"}, "Not a valid choice"),
        ({"asset_serial": "GLOBEX-001"}, "Not a valid choice"),
        ({"description": "x" * 20001}, "Field cannot be longer than 20000 characters."),
    ]:
        response = open_case(admin, **overrides)
        assert response.status_code == 400, overrides
        assert message in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_post_without_csrf_token_is_rejected(world, web, session):
    admin = web(ACME)
    response = admin.post(
        "/cases/new", data={"asset_serial": "ACME-001", "severity": "2", "subject": "x", "description": "y"}, csrf=False
    )
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_the_engineer_works_the_case_and_the_customer_sees_only_public_entries(world, web):
    number = case_number(open_case(web(ACME)))
    engineer = web(ENGINEER)
    page = engineer.get(f"/cases/{number}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert (
        engineer.post(
            f"/cases/{number}/owner", data={"owner_id": world.user("engineer").id, "version": version}
        ).status_code
        == 302
    )
    assert (
        engineer.post(
            f"/cases/{number}/reply", data={"body": "Please send the support bundle.", "visibility": "public"}
        ).status_code
        == 302
    )
    assert (
        engineer.post(
            f"/cases/{number}/reply", data={"body": "Suspect firmware 9.1 bug", "visibility": "internal"}
        ).status_code
        == 302
    )
    customer = web(ACME).get(f"/cases/{number}").get_data(as_text=True)
    assert "Please send the support bundle." in customer
    assert "Suspect firmware 9.1 bug" not in customer
    assert "In progress" in customer
    staff = engineer.get(f"/cases/{number}").get_data(as_text=True)
    assert "Suspect firmware 9.1 bug" in staff and "internal" in staff


def test_queue_filters_by_status_severity_and_organisation(world, web, clock):
    number_acme = case_number(open_case(web(ACME), severity="1", subject="Acme outage"))
    clock.advance(timedelta(minutes=10))
    number_globex = case_number(
        open_case(web(GLOBEX), asset_serial="GLOBEX-001", severity="3", subject="Globex question")
    )
    engineer = web(ENGINEER)
    both = engineer.get("/cases/").get_data(as_text=True)
    assert number_acme in both and number_globex in both
    sev1 = engineer.get("/cases/?severity=1").get_data(as_text=True)
    assert number_acme in sev1 and number_globex not in sev1
    globex = engineer.get(f"/cases/?org={world.globex.id}").get_data(as_text=True)
    assert number_globex in globex and number_acme not in globex
    closed = engineer.get("/cases/?status=closed").get_data(as_text=True)
    assert number_acme not in closed and "No cases match." in closed
    newest = engineer.get("/cases/?sort=newest").get_data(as_text=True)
    assert newest.index(number_globex) < newest.index(number_acme)
    oldest = engineer.get("/cases/?sort=oldest").get_data(as_text=True)
    assert oldest.index(number_acme) < oldest.index(number_globex)


def test_two_engineers_editing_at_once_get_a_conflict_message(world, web, session):
    number = case_number(open_case(web(ACME)))
    first, second = web(ENGINEER), web("eng2@vendor.example.com")
    version = re.search(
        r'name="version" type="hidden" value="(\d+)"', second.get(f"/cases/{number}").get_data(as_text=True)
    ).group(1)
    assert (
        first.post(f"/cases/{number}/status", data={"status": "waiting_customer", "version": version}).status_code
        == 302
    )
    response = second.post(f"/cases/{number}/severity", data={"severity": "1", "version": version})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == number))
    assert (case.status, case.severity) == ("waiting_customer", 2)


def test_the_customer_replies_with_a_file_and_confirms_the_resolution(world, web, session):
    admin = web(ACME)
    number = case_number(open_case(admin))
    engineer = web(ENGINEER)
    version = re.search(
        r'name="version" type="hidden" value="(\d+)"', engineer.get(f"/cases/{number}").get_data(as_text=True)
    ).group(1)
    engineer.post(f"/cases/{number}/status", data={"status": "resolved", "version": version})
    assert (
        admin.post(
            f"/cases/{number}/reply",
            data={"body": "Bundle attached", "attachments": [(io.BytesIO(b"bundle"), "bundle.tgz")]},
            content_type="multipart/form-data",
        ).status_code
        == 302
    )
    session.expire_all()
    assert session.scalar(select(Case.status).where(Case.number == number)) == "in_progress"
    engineer_page = engineer.get(f"/cases/{number}").get_data(as_text=True)
    assert "Bundle attached" in engineer_page and "bundle.tgz" in engineer_page
    version = re.search(
        r'name="version" type="hidden" value="(\d+)"', engineer.get(f"/cases/{number}").get_data(as_text=True)
    ).group(1)
    engineer.post(f"/cases/{number}/status", data={"status": "resolved", "version": version})
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    assert "Confirm resolution" in page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert admin.post(f"/cases/{number}/confirm", data={"version": version}).status_code == 302
    session.expire_all()
    assert session.scalar(select(Case.status).where(Case.number == number)) == "closed"


def test_closing_as_no_longer_supported_without_handoff_is_refused_on_the_page(world, web, session):
    number = case_number(open_case(web(ACME)))
    engineer = web(ENGINEER)
    version = re.search(
        r'name="version" type="hidden" value="(\d+)"', engineer.get(f"/cases/{number}").get_data(as_text=True)
    ).group(1)
    refused = engineer.post(f"/cases/{number}/close", data={"reason": "end_of_support", "version": version})
    assert refused.status_code == 422 and "account manager" in refused.get_data(as_text=True)  # a rule: 422
    done = engineer.post(
        f"/cases/{number}/close",
        data={
            "reason": "end_of_support",
            "version": version,
            "handoff_manager_id": str(world.user("account").id),
            "handoff_path": "Trade-in to SA-4800 with Premium support",
        },
    )
    assert done.status_code == 302
    customer = web(ACME).get(f"/cases/{number}").get_data(as_text=True)
    assert "Handed off to account manager" in customer and "Trade-in to SA-4800" in customer
    session.expire_all()
    kinds = session.scalars(select(CaseEvent.kind).join(Case).where(Case.number == number)).all()
    assert "handoff" in kinds and kinds[-1] == "status_changed"


def test_login_refuses_a_wrong_password_and_unknown_users_alike(world, web):
    client = web()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    for email, password in [(ACME, "wrong password"), ("nobody@acme.example.com", "correct horse battery")]:
        response = client.client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 400
        assert "Unknown e-mail or wrong password." in response.get_data(as_text=True)


def test_pages_need_a_login(world, web):
    response = web().get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_each_role_starts_on_its_own_page(world, web):
    expected = {
        ACME: "/cases/",
        ENGINEER: "/cases/",
        "field@vendor.example.com": "/rmas/dispatches",
        "am@vendor.example.com": "/accounts/",
    }
    for email, path in expected.items():
        assert web(email).get("/").headers["Location"].endswith(path), email
