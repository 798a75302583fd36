"""The queue and the engineer's case page in a real browser, at desktop and phone widths."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import PASSWORD, create_case

pytestmark = [pytest.mark.e2e, pytest.mark.commits]  # the served app answers from several threads

#: Set to a folder to keep the screenshots (they are always taken, to a temp folder otherwise).
SHOTS = os.environ.get("CASEMGR_SCREENSHOTS")


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/$"))


def sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_queue_and_the_case_page_fit_the_screen(session, world, live_url, browser, clock, tmp_path, width):
    made = [
        create_case(session, asset=world.acme_asset, opener=world.user("acme_admin"), severity=s, now=clock.now())
        for s in (1, 2, 4)
    ]
    create_case(session, asset=world.globex_uncovered, opener=world.user("globex_admin"), severity=3, now=clock.now())
    clock.advance(timedelta(minutes=35))
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    login(page, live_url, "eng@vendor.example.com")
    assert page.locator("text=breached").first.is_visible()
    assert sideways_scroll(page) <= 0
    page.screenshot(path=str(shots / f"queue-{width}.png"), full_page=True)
    page.check(f"input[name=case][value^='{made[0].number}:']")
    page.check("input[name=action][value=tier]")
    page.select_option("select[name=tier_value]", "L2")
    page.click("button:has-text('Apply to selected')")
    page.wait_for_selector(f"text=Tier changed on 1 case(s): {made[0].number}.")
    page.click(f"a:has-text('{made[1].number}')")
    page.wait_for_selector("[aria-label='Work the case']")
    top = page.locator("[aria-label='Work the case']").bounding_box()
    assert top is not None and top["y"] < 700  # where an engineer looks first
    page.click("button:has-text('Take ownership')")
    page.wait_for_selector("text=Owner changed.")
    assert sideways_scroll(page) <= 0
    page.screenshot(path=str(shots / f"case-{width}.png"), full_page=True)
    context.close()
