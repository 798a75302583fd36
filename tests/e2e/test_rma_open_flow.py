"""Opening an RMA in a real browser: nothing is preselected, the browser will not submit
without a component and a problem, and the part is only marked failed after a
confirmation page that names it (no script involved)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemgr.assets.models import Component
from rma.models import Rma
from tests.e2e.test_case_flow import login
from tests.integration.test_rma_lifecycle import open_case

pytestmark = [pytest.mark.e2e, pytest.mark.commits]  # the served app answers from several threads


def test_a_support_engineer_opens_an_rma_through_the_confirmation(session, world, clock, live_url, browser):
    case, bay2 = open_case(session, world, clock, slot="bay 2")
    ctx = browser.new_context(viewport={"width": 390, "height": 900})
    page = ctx.new_page()
    login(page, live_url, "eng@vendor.example.com")
    page.goto(f"{live_url}/cases/{case.number}")
    form = page.locator("form.rma-open")
    assert form.locator("select[name=component_id]").input_value() == ""
    form.locator("button[type=submit]").click()  # the browser refuses: nothing chosen, no problem
    assert page.url.endswith(f"/cases/{case.number}")
    assert form.locator("select[name=component_id]").evaluate("el => el.validity.valueMissing")

    form.locator("select[name=component_id]").select_option(str(bay2.id))
    form.locator("textarea[name=problem]").fill("Bay 2 amber; RAID degraded")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Confirm the failed component")
    assert (
        page.locator(".flash.error")
        .inner_text()
        .startswith("SN ACME-001-D2 in bay 2 (part DRV-1, 4 TB drive) will be marked failed and quarantined")
    )
    session.expire_all()
    assert session.get(Component, bay2.id).state == "active" and session.scalar(select(Rma.id)) is None

    page.click("button:has-text('Back')")
    page.wait_for_selector("text=Open an RMA on")
    assert page.locator("textarea[name=problem]").input_value() == "Bay 2 amber; RAID degraded"
    page.click("button:has-text('Review and open RMA')")
    page.click("button:has-text('Confirm and open RMA')")
    page.wait_for_url(re.compile(r".*/rmas/RMA-000001$"))
    assert page.locator("text=RMA-000001 opened: bay 2 (SN ACME-001-D2) is marked failed.").count() == 1
    session.expire_all()
    assert session.get(Component, bay2.id).state == "failed"
    ctx.close()
