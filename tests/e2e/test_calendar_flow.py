"""The calendar pages in a real browser: hours edited, a holiday added, an .ics imported;
readable without sideways scrolling on a phone."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_asset_import_flow import shoot
from tests.factories import PASSWORD
from tests.unit.test_calendar_rules import ics

pytestmark = [pytest.mark.e2e, pytest.mark.commits]  # the served app answers from several threads


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_edits_hours_and_holidays(world, live_url, browser, tmp_path, width):
    path = tmp_path / "holidays.ics"
    path.write_bytes(ics("DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\n"))
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    page.goto(f"{live_url}/login")
    page.fill("input[name=email]", "mgr@vendor.example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.click("details.menu > summary")  # the managers' configuration pages sit in the "Manage" menu
    page.click("details.menu >> text=Calendars")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, f"calendars-{width}.png")
    page.click("table.grid >> text=Business")
    page.wait_for_url(re.compile(r".*/admin/calendars/\d+$"))
    page.fill("input[name=sat]", "09:00-13:00")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Calendar saved")
    assert page.locator("input[name=sat]").input_value() == "09:00-13:00"
    page.fill("input[name=day]", "2026-12-31")
    page.click("button:has-text('Add')")
    page.wait_for_selector("text=2026-12-31 added.")
    page.set_input_files("input[name=file]", str(path))
    page.click("button:has-text('Import file')")
    page.wait_for_selector("text=3 holiday(s) added from holidays.ics.")
    assert page.locator(".holiday-list .mono").all_inner_texts() == [
        "2026-12-24",
        "2026-12-25",
        "2026-12-26",
        "2026-12-31",
    ]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, f"calendar-{width}.png")
    ctx.close()
