"""The header's search box in a real browser: words give ranked results, a case number
opens the case; at 390 px the header wraps without sideways scrolling."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_case_flow import login
from tests.factories import create_case

pytestmark = [pytest.mark.e2e, pytest.mark.commits]  # the served app answers from several threads


def test_the_header_box_searches_and_jumps_to_a_case(world, session, live_url, browser, tmp_path):
    case = create_case(
        session,
        asset=world.acme_asset,
        opener=world.user("acme_admin"),
        subject="Pangolin controller alarm",
        description="The pangolin sensor <b>warns</b>",
    )
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(page, live_url, "admin@acme.example.com")
    page.fill(".header-search input[name=q]", "pangolin")
    page.press(".header-search input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*/search\?q=pangolin"))
    assert page.locator(".search-hit mark", has_text="pangolin").count() >= 1
    assert page.locator(".search-hit b").count() == 0  # the text is shown, not interpreted
    page.screenshot(path=str(tmp_path / "search-1280.png"), full_page=True)

    page.fill(".header-search input[name=q]", case.number.lower())
    page.press(".header-search input[name=q]", "Enter")
    page.wait_for_url(re.compile(rf".*/cases/{case.number}$"))

    narrow = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    login(narrow, live_url, "admin@acme.example.com")
    narrow.goto(f"{live_url}/search?q=pangolin")
    assert narrow.locator(".header-search input[name=q]").is_visible()
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
    narrow.screenshot(path=str(tmp_path / "search-390.png"), full_page=True)
