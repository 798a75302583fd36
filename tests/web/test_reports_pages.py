"""Account pages through the test client: scoping (404 for an unassigned
partner everywhere), the account review PDF's text and charts, CSV exports,
the rating prompt and the thank-you note."""

from __future__ import annotations

import csv
import http.server
import io
import re
import threading
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from casemgr.cases import comments, opening, services
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.registry import registry_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
PERIOD = "from=2026-10-01&to=2026-11-02"
ACCOUNT, MANAGER, ENGINEER = "am@vendor.example.com", "mgr@vendor.example.com", "eng@vendor.example.com"
ACME_ADMIN, GLOBEX_ADMIN = "admin@acme.example.com", "admin@globex.example.com"


@pytest.fixture
def seeded(session, world, tmp_path):
    """Acme: an S1 resolved in the period (rated), an S2 and an S3 still open; Globex: one S1."""
    store = LocalAttachmentStore(tmp_path / "files", 10_000_000)
    engineer = world.user("engineer")

    def open_(who, serial, severity, at, subject):
        return opening.open_case(
            session,
            world.user(who),
            store,
            asset_serial=serial,
            severity=severity,
            subject=subject,
            description="details",
            now=at,
        )

    s1 = open_("acme_admin", "ACME-001", 1, T0 - timedelta(days=10), "Array down")
    services.assign_owner(
        session, engineer, s1, owner_id=engineer.id, expected_version=None, now=T0 - timedelta(days=10) + M
    )
    comments.add_comment(session, engineer, store, s1, body="On it", public=True, now=T0 - timedelta(days=10) + 5 * M)
    services.change_status(
        session, engineer, s1, new_status="resolved", expected_version=None, now=T0 - timedelta(days=10) + 90 * M
    )
    s2 = open_("acme_admin", "ACME-001", 2, T0 - 30 * M, "Slow volume")
    s3 = open_("acme_user", "ACME-001", 3, T0 - 10 * M, '=HYPERLINK("x")')
    g1 = open_("globex_admin", "GLOBEX-001", 1, T0 - timedelta(days=5), "Globex secret outage")
    return {"s1": s1, "s2": s2, "s3": s3, "g1": g1}


def urls(org_id: int) -> list[str]:
    base = f"/accounts/partners/{org_id}"
    return [
        base,
        f"{base}?{PERIOD}",
        f"{base}/review.pdf?{PERIOD}",
        f"{base}/cases.csv",
        f"/accounts/cases.csv?org={org_id}",
    ] + [f"{base}/charts/{n}.svg?{PERIOD}" for n in ("cases", "sla", "rma", "assets")]


def test_account_manager_gets_404_for_an_unassigned_partner_everywhere(web, world, seeded):
    client = web(ACCOUNT)
    for url in urls(world.globex.id):
        assert client.get(url).status_code == 404, url
    for url in urls(world.acme.id):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/accounts/partners/{world.vendor.id}").status_code == 404


def test_other_roles_get_404_and_managers_see_every_partner(web, world, seeded):
    for email in (ACME_ADMIN, GLOBEX_ADMIN, ENGINEER, "field@vendor.example.com"):
        client = web(email)
        assert client.get("/accounts/").status_code == 404, email
        assert client.get(f"/accounts/partners/{world.acme.id}/review.pdf").status_code == 404, email
        assert client.get("/accounts/team").status_code == 404, email
    manager = web(MANAGER)
    for url in urls(world.globex.id) + ["/accounts/", "/accounts/team"]:
        assert manager.get(url).status_code == 200, url


def test_the_account_managers_home_is_the_dashboard_without_other_partners(web, world, seeded):
    client = web(ACCOUNT)
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/accounts/")
    page = client.get("/accounts/").get_data(as_text=True)
    order = re.findall(r"CS-\d{6}", page)
    assert order[0] == seeded["s2"].number and seeded["s3"].number in order
    assert seeded["g1"].number not in page and "Globex" not in page
    assert seeded["s1"].number not in page, "resolved cases are not on the open-case dashboard"
    partial = client.get("/accounts/?partial=1").get_data(as_text=True)
    assert "<html" not in partial and seeded["s2"].number in partial
    assert 'src="/static/reports.js"' in page
    assert web(ENGINEER).get("/").headers["Location"].endswith("/cases/")


def test_account_review_pdf_carries_partner_period_figures_and_severity_1_cases(web, world, seeded):
    response = web(ACCOUNT).get(f"/accounts/partners/{world.acme.id}/review.pdf?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Account review: Acme" in flat
    assert "01 Oct 2026 – 02 Nov 2026" in flat
    figure = lambda value, label: re.search(rf"{re.escape(value)}\s*{label}", flat)  # noqa: E731
    assert figure("3", "cases opened") and figure("1", "cases resolved")  # figures of the reporting module
    assert figure("100.0%", "first response on time") and "1 of 1" in flat
    assert seeded["s1"].number in flat and "Met" in flat
    assert seeded["g1"].number not in flat and "Globex" not in flat
    # The charts: their titles and the labels drawn inside the SVGs (text stays text).
    for title in (
        "Cases opened and resolved per week",
        "SLA attainment per month",
        "RMA turnaround",
        "Top assets by case count",
    ):
        assert title in flat
    assert "Opened (3)" in flat and "Resolved (1)" in flat and "First response met" in flat
    assert "ACME-001" in flat and "cases opened" in flat
    assert re.search(r"Page 1 of \d", flat)


def test_charts_are_svg_images_with_their_own_policy(web, world, seeded):
    response = web(ACCOUNT).get(f"/accounts/partners/{world.acme.id}/charts/cases.svg?{PERIOD}")
    assert response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert "<svg" in body and "Opened (3)" in body and "<script" not in body
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = web(ACCOUNT).get(f"/accounts/partners/{world.acme.id}?{PERIOD}").get_data(as_text=True)
    assert page.count('<img src="/accounts/partners/') == 4
    assert web(ACCOUNT).get(f"/accounts/partners/{world.acme.id}/charts/nope.svg").status_code == 404


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.commits  # checks the app's own pool gets its connection back
def test_csv_exports_follow_the_users_scope_and_filters(app, web, world, seeded):
    account = web(ACCOUNT)
    rows = read_csv(account.get("/cases/export.csv?status=all"))
    assert {r["case"] for r in rows} == {seeded[k].number for k in ("s1", "s2", "s3")}
    rows = read_csv(account.get("/accounts/cases.csv"))
    assert [r["case"] for r in rows] == [seeded["s2"].number, seeded["s3"].number]
    assert rows[1]["subject"].startswith("'="), "formulas are defused"
    assert read_csv(account.get("/accounts/cases.csv?severity=3"))[0]["case"] == seeded["s3"].number
    customer = read_csv(web(GLOBEX_ADMIN).get("/cases/export.csv?status=all"))
    assert [r["case"] for r in customer] == [seeded["g1"].number]
    assert len(read_csv(web(MANAGER).get("/cases/export.csv"))) == 3  # open cases of every partner
    assert 'href="/cases/export.csv?status=all"' in account.get("/cases/?status=all").get_data(as_text=True)
    # The streamed body uses a session of its own and gives its connection back (no open transaction).
    assert registry_of(app).db.engine.pool.checkedout() == 0


def test_rating_prompt_once_and_thank_you_note_on_the_case_page(web, world, seeded, session):
    number = seeded["s1"].number
    customer = web(ACME_ADMIN)
    page = customer.get(f"/cases/{number}").get_data(as_text=True)
    assert "How did we do?" in page
    assert "How did we do?" not in customer.get(f"/cases/{seeded['s2'].number}").get_data(as_text=True)
    response = customer.post(f"/cases/{number}/rating", {"rating": "5", "comment": "Brilliant"})
    assert response.status_code == 303
    page = customer.get(f"/cases/{number}").get_data(as_text=True)
    assert "5/5" in page and "Brilliant" in page and "How did we do?" not in page
    again = customer.post(f"/cases/{number}/rating", {"rating": "1"}, follow_redirects=True)
    assert "already been rated" in again.get_data(as_text=True)
    assert web(ENGINEER).post(f"/cases/{number}/rating", {"rating": "1"}).status_code == 403
    assert web(GLOBEX_ADMIN).post(f"/cases/{number}/rating", {"rating": "1"}).status_code == 404

    manager = web(MANAGER)
    assert "Thank an engineer" in manager.get(f"/cases/{number}").get_data(as_text=True)
    assert "Thank an engineer" not in web(ACCOUNT).get(f"/cases/{number}").get_data(as_text=True)
    engineer_id = world.user("engineer").id
    assert (
        manager.post(f"/cases/{number}/thanks", {"engineer_id": str(engineer_id), "note": "Calm S1 work"}).status_code
        == 303
    )
    assert "Calm S1 work" in web(ENGINEER).get(f"/cases/{number}").get_data(as_text=True)
    assert "Calm S1 work" in web(ENGINEER).get("/notifications/").get_data(as_text=True)
    assert "Calm S1 work" not in customer.get(f"/cases/{number}").get_data(as_text=True)
    assert (
        web(ACCOUNT).post(f"/cases/{number}/thanks", {"engineer_id": str(engineer_id), "note": "x"}).status_code == 403
    )

    partner = web(ACCOUNT).get(f"/accounts/partners/{world.acme.id}?{PERIOD}").get_data(as_text=True)
    assert "Brilliant" in partner and "5.00" in partner


def test_a_hostile_organisation_name_stays_text_and_the_pdf_fetches_nothing(web, world, session, seeded):
    """A name that closes the CSS string and imports a stylesheet must neither break out of
    the page's style nor make WeasyPrint call an address: the footer is an element, and
    rendering fetches no URL at all."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        world.acme.name = (
            f"Acme;}}\n@import url({base}/css);\n@page {{ background: url({base}/bg) }}\n"
            f'<img src="{base}/img"><link rel=stylesheet href="{base}/link">'
        )
        session.commit()
        response = web(ACCOUNT).get(f"/accounts/partners/{world.acme.id}/review.pdf?{PERIOD}")
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 200
    assert hits == []
    flat = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages).split())
    assert "@import url(" in flat  # shown as the text it is, in the heading and the footer
    assert flat.count("account review 01 Oct 2026") >= 1


def test_the_review_pdf_and_thanks_through_the_api(app, session, world, seeded):
    from casemgr.auth.tokens import create_token

    def client(key):
        token = create_token(session, world.user(key), "test", datetime(2026, 11, 2, 9, 0, tzinfo=UTC))[1]
        c = app.test_client()
        return lambda method, url, **kw: c.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    account = client("account")
    pdf = account("GET", f"/api/v1/organizations/{world.acme.id}/review.pdf?{PERIOD}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Account review: Acme" in text
    for key, org in (("engineer", world.acme.id), ("acme_admin", world.acme.id), ("account", world.globex.id)):
        assert client(key)("GET", f"/api/v1/organizations/{org}/review.pdf").status_code in (403, 404), key
    number = seeded["s1"].number
    manager = client("manager")
    engineer_email = world.user("engineer").email
    sent = manager("POST", f"/api/v1/cases/{number}/thanks", json={"engineer": engineer_email, "note": "Great save"})
    assert sent.status_code == 201 and sent.get_json()["kind"] == "thanks"
    refused = client("engineer")(
        "POST", f"/api/v1/cases/{number}/thanks", json={"engineer": engineer_email, "note": "x"}
    )
    assert refused.status_code == 403
    unknown = manager("POST", f"/api/v1/cases/{number}/thanks", json={"engineer": "nobody@x.example", "note": "x"})
    assert unknown.status_code == 422
