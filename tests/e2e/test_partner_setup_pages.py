"""Issue 17 in a real Chromium: from ``casemgr init`` on an empty database, the vendor's admin
sets a partner up on the admin pages (organisation, site, product, assets, contract, the
customer admin's invitation, the account manager), and the customer, after setting their
password from the invitation link, opens a Severity 1 case in the browser.

Every page is checked at 1280 and 390 px (no sideways scroll); set CASEMGR_SCREENSHOTS to a
folder to keep the PNGs. The database is only read (the invitation's link, as the mail
would carry it)."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from casemgr import create_app
from casemgr.clock import FixedClock
from casemgr.db import new_session
from casemgr.notifications.models import Notification
from casemgr.registry import registry_of
from tests.conftest import T0
from tests.e2e.test_account_pages_fit import check_fits
from tests.integration.test_partner_setup_end_to_end import ADMIN, PASSWORD, cli
from tests.pg_databases import empty_url  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.commits]


@pytest.fixture
def served(empty_url, tmp_path):  # noqa: F811 - the imported fixture
    """``casemgr init`` by the real CLI, then the app on that database served from a thread."""
    out = cli(
        empty_url,
        tmp_path,
        "init",
        "--vendor",
        "Northwind Storage",
        "--admin-email",
        ADMIN,
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert "Admin created" in out
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": empty_url,
            "SECRET_KEY": "test-only-" + "z" * 20,
            "CLOCK": FixedClock(T0),
            "RATELIMIT_ENABLED": False,
            "TESTING": True,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    registry_of(app).db.dispose()


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def invitation_path(app, email: str) -> str:
    with new_session(app) as session:
        mail = session.scalar(select(Notification).where(Notification.email == email))
        return re.search(r"/account/password/[A-Za-z0-9_-]+", mail.body).group(0)


def invite(page, base: str, email: str, organisation: str, role: str) -> None:
    page.goto(f"{base}/admin/users/invite")
    page.fill("input[name=email]", email)
    page.select_option("#organization_id", label=organisation)
    page.select_option("#role", role)
    page.click("button:has-text('Send the invitation')")
    page.wait_for_selector(f"text=Invitation sent to {email}")


def set_password(browser, base: str, path: str):
    page = browser.new_context().new_page()
    page.goto(base + path)
    check_fits(page, "partner-set-password")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your password is set")  # and they are signed in
    return page


def test_a_partner_is_set_up_on_the_admin_pages_and_its_admin_opens_a_case(served, browser, tmp_path):
    app, base = served
    admin = browser.new_context().new_page()
    log_in(admin, base, ADMIN)

    admin.goto(f"{base}/admin/organizations")
    check_fits(admin, "partner-organisations")
    admin.fill("input[name=name]", "Contoso Bank")
    admin.click("button:has-text('Create organisation')")
    admin.wait_for_selector("h1:has-text('Contoso Bank')")
    org_url = admin.url
    admin.click("summary:has-text('Add a site')")
    admin.fill("input[name=name] >> nth=0", "Frankfurt DC")
    admin.fill("input[name=timezone]", "Europe/Berlin")
    admin.click("button:has-text('Add site')")
    admin.wait_for_selector("td:has-text('Frankfurt DC')")
    check_fits(admin, "partner-organisation-with-site")

    admin.goto(f"{base}/admin/catalogue")
    admin.fill("input[name=model]", "NW-9000")
    admin.fill("input[name=product_line]", "NorthArray")
    admin.click("button:has-text('Add product')")
    admin.wait_for_selector("td:has-text('NW-9000')")
    check_fits(admin, "partner-catalogue")

    csv = tmp_path / "contoso.csv"
    csv.write_text("serial,product_model,organization,site\nNW-0001,NW-9000,Contoso Bank,Frankfurt DC\n")
    admin.goto(f"{base}/admin/assets/import/")
    admin.set_input_files("input[name=file]", str(csv))
    admin.click("button:has-text('Import')")
    admin.wait_for_selector("text=1 asset(s) with 0 component(s) imported", timeout=60_000)
    check_fits(admin, "partner-asset-import")

    admin.goto(org_url)
    admin.click("summary:has-text('Add a contract')")
    admin.fill("input[name=number]", "C-CONTOSO-1")
    admin.select_option("select[name=plan_code]", index=0)
    admin.fill("input[name=starts_on]", "2026-01-01")
    admin.fill("input[name=ends_on]", "2027-12-31")
    admin.select_option("select[name=asset_serials]", ["NW-0001"])
    admin.click("button:has-text('Add contract')")
    admin.wait_for_selector("td:has-text('C-CONTOSO-1')")

    invite(admin, base, "it@contoso.example.com", "Contoso Bank", "customer_admin")
    check_fits(admin, "partner-invitation-sent")
    invite(admin, base, "am@northwind.example.com", "Northwind Storage (vendor)", "account_manager")
    admin.goto(org_url)
    option = admin.locator("select[name=user_id] option", has_text="<am@northwind.example.com>")
    admin.select_option("select[name=user_id]", option.get_attribute("value"))
    admin.click("button:has-text('Assign')")
    admin.wait_for_selector("button[aria-label^='Unassign']")
    admin.wait_for_selector("text=Every active account manager already watches this partner")  # not offered twice
    check_fits(admin, "partner-organisation-done")

    customer = set_password(browser, base, invitation_path(app, "it@contoso.example.com"))
    customer.goto(f"{base}/cases/new")
    check_fits(customer, "partner-new-case")
    customer.select_option("#asset_serial", "NW-0001")
    customer.check("input[name=severity][value='1']")
    customer.fill("input[name=subject]", "Array offline")
    customer.fill("textarea[name=description]", "All LUNs are gone since 09:00.")
    customer.click("button:has-text('Open case')")
    customer.wait_for_url(re.compile(r".*/cases/CS-\d+"))
    number = re.search(r"CS-\d+", customer.url).group(0)
    customer.wait_for_selector(f"text={number}")
    check_fits(customer, "partner-case-opened")

    manager = set_password(browser, base, invitation_path(app, "am@northwind.example.com"))
    manager.goto(f"{base}/cases/?status=all")
    manager.wait_for_selector(f"text={number}")
    check_fits(manager, "partner-account-manager-cases")
