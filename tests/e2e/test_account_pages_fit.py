"""The user administration and account pages in a real browser: an invitation sent from
the form, its link opened, and every page fitting a phone (no sideways scroll at 390 px).

Set CASEMGR_SCREENSHOTS to a folder to keep a PNG of each page at 1280 and 390 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from casemgr.notifications.models import Notification
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.commits]  # the served app answers from several threads

WIDTHS = (1280, 390)


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/$"))


def check_fits(page, name: str) -> None:
    """At each width: no sideways scroll, and a screenshot when asked for."""
    folder = os.environ.get("CASEMGR_SCREENSHOTS")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        if folder:
            page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"


def test_an_admin_invites_from_the_users_page_and_the_invitee_sets_a_password(world, live_url, browser, session):
    admin = browser.new_context().new_page()
    login(admin, live_url, "root@vendor.example.com")
    admin.click("details.menu > summary")  # the admin's configuration pages sit in the "Manage" menu
    admin.click("details.menu >> text=Users")
    admin.wait_for_selector("h1:has-text('Users')")
    check_fits(admin, "users-list")
    admin.click("text=Invite a user")
    admin.fill("input[name=email]", "nia.newcomer@acme.example.com")
    admin.fill("input[name=name]", "Nia Newcomer")
    admin.select_option("#organization_id", str(world.acme.id))
    admin.select_option("#role", "support_engineer")
    admin.click("button:has-text('Send the invitation')")
    admin.wait_for_selector("text=belongs to the vendor organisation")
    assert admin.input_value("input[name=email]") == "nia.newcomer@acme.example.com"
    check_fits(admin, "users-invite-refused")
    admin.select_option("#role", "customer_user")
    admin.click("button:has-text('Send the invitation')")
    admin.wait_for_selector("text=Invitation sent to nia.newcomer@acme.example.com")
    admin.wait_for_selector("text=invited, no password yet")
    check_fits(admin, "users-show")

    session.expire_all()
    mail = session.scalar(select(Notification).where(Notification.email == "nia.newcomer@acme.example.com"))
    path = re.search(r"/account/password/[A-Za-z0-9_-]+", mail.body).group(0)
    invitee = browser.new_context().new_page()
    invitee.goto(live_url + path)
    check_fits(invitee, "set-password")
    invitee.fill("input[name=password]", "short")
    invitee.fill("input[name=confirm]", "short")
    invitee.click("button[type=submit]")
    invitee.wait_for_selector("text=Use at least 10 characters")
    invitee.fill("input[name=password]", "a brand new passphrase")
    invitee.fill("input[name=confirm]", "a brand new passphrase")
    invitee.click("button[type=submit]")
    invitee.wait_for_selector("text=Your password is set")
    invitee.goto(f"{live_url}/settings")
    check_fits(invitee, "settings")
    invitee.goto(live_url + path)
    invitee.wait_for_selector("text=This link has already been used")
    check_fits(invitee, "set-password-used")
    invitee.click("button:has-text('Log out')")
    invitee.click("text=Forgot password?")
    check_fits(invitee, "forgot-password")
    invitee.fill("input[name=email]", "nia.newcomer@acme.example.com")
    invitee.click("button:has-text('Send the link')")
    invitee.wait_for_selector("text=If an account uses that address")

    customer_admin = browser.new_context().new_page()
    login(customer_admin, live_url, "admin@acme.example.com")
    customer_admin.click("nav >> text=Users")
    assert customer_admin.locator("text=admin@globex.example.com").count() == 0
    assert customer_admin.locator("text=nia.newcomer@acme.example.com").count() == 1
    check_fits(customer_admin, "users-list-customer-admin")
