"""The foundation story in a real browser: open a case with a log, get a reply."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.commits]  # the served app answers from several threads


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/$"))


def test_admin_opens_a_case_with_a_log_and_sees_the_engineers_reply(world, live_url, browser, tmp_path):
    log = tmp_path / "controller.log"
    log.write_text("2026-11-02T08:55:00Z ctrl0: bay 2 link reset\n")

    admin_ctx = browser.new_context()
    admin = admin_ctx.new_page()
    login(admin, live_url, "admin@acme.example.com")
    admin.click("text=Open a case")
    admin.select_option("#asset_serial", "ACME-001")
    assert admin.locator("#component_id optgroup[label='ACME-001']").count() == 1
    bay2 = admin.locator("#component_id option", has_text="ACME-001-D2").get_attribute("value")
    admin.select_option("#component_id", bay2)
    admin.check("input[name=severity][value='2']")
    admin.fill("input[name=subject]", "Bay 2 link resets")
    admin.fill("textarea[name=description]", "Controller log shows repeated link resets on bay 2.")
    admin.set_input_files("input[name=attachments]", str(log))
    admin.click("button:has-text('Open case')")
    admin.wait_for_selector("text=We have your case")
    number = admin.locator("h1 .mono").inner_text()
    assert re.fullmatch(r"CS-\d{6}", number)
    admin.click("text=Cases")
    assert admin.locator(f"a:has-text('{number}')").count() == 1

    engineer_ctx = browser.new_context()
    engineer = engineer_ctx.new_page()
    login(engineer, live_url, "eng@vendor.example.com")
    engineer.click(f"a:has-text('{number}')")
    assert engineer.locator("a:has-text('controller.log')").count() == 1
    engineer.click("button:has-text('Take ownership')")
    engineer.fill("textarea[name=body]", "We are on it: please check the cable to bay 2 is seated.")
    engineer.click("button:has-text('Send')")
    engineer.wait_for_selector("text=We are on it")

    admin.goto(f"{live_url}/cases/{number}")
    assert admin.locator("text=We are on it: please check the cable to bay 2 is seated.").count() == 1
    assert admin.locator(".status").first.inner_text() == "In progress"
    admin_ctx.close()
    engineer_ctx.close()
