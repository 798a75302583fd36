"""Importing a big asset CSV in a real browser: the progress bar moves while the job runs
on its thread, then the page shows the outcome; a refused file lists its bad lines."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import func, select

from casemgr.assets.models import Asset
from tests.factories import PASSWORD
from tests.integration.test_asset_import_jobs import csv_rows

pytestmark = [pytest.mark.e2e, pytest.mark.commits]  # the served app answers from several threads
ROWS = 15_000  # enough rows that a 400 ms poll sees the bar part-way on a fast machine too


def login_admin(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "root@vendor.example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def shoot(page, name: str) -> None:
    """Screenshots for review, when CASEMGR_SCREENSHOT_DIR names a folder."""
    folder = os.environ.get("CASEMGR_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_big_import_shows_its_progress_then_the_result(world, session, live_url, browser, tmp_path, width):
    path = tmp_path / "fleet.csv"
    path.write_bytes(csv_rows(ROWS))
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    login_admin(page, live_url)
    page.goto(f"{live_url}/admin/assets/import/")
    shoot(page, f"import-upload-{width}.png")
    page.set_input_files("input[name=file]", str(path))
    page.click("button:has-text('Import')")
    page.wait_for_url(re.compile(r".*/admin/assets/import/\d+$"))
    assert page.locator("#import-progress").get_attribute("max") == str(ROWS)
    # The bar moves on its own (no reload) while the rows are checked...
    page.wait_for_function(
        "() => { const b = document.getElementById('import-progress'); return b.value > 0 && b.value < b.max; }",
        timeout=60_000,
    )
    shoot(page, f"import-running-{width}.png")
    # ...and once the job has finished the page shows what was imported.
    page.wait_for_selector("text=asset(s) with 0 component(s) imported", timeout=120_000)
    assert page.locator("#import-progress").evaluate("b => b.value === b.max")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, f"import-done-{width}.png")
    session.expire_all()
    assert session.scalar(select(func.count(Asset.id)).where(Asset.serial.like("BULK-%"))) == ROWS
    ctx.close()


def test_a_refused_import_lists_each_bad_line_and_imports_nothing(world, session, live_url, browser, tmp_path):
    path = tmp_path / "typos.csv"
    path.write_bytes(csv_rows(50, bad_lines={7: "BULK-Q,SA-9,Acme,Acme DC,", 30: "BULK-000001,SA-1,Acme,Acme DC,"}))
    ctx = browser.new_context(viewport={"width": 390, "height": 900})
    page = ctx.new_page()
    login_admin(page, live_url)
    page.goto(f"{live_url}/admin/assets/import/")
    page.set_input_files("input[name=file]", str(path))
    page.click("button:has-text('Import')")
    page.wait_for_selector("text=Rows to correct", timeout=60_000)
    rows = page.locator("table.import-errors tbody tr").all_inner_texts()
    assert rows == ["7\tunknown product model 'SA-9'", "30\tserial BULK-000001 appears twice in this file"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "import-refused-390.png")
    session.expire_all()
    assert session.scalar(select(func.count(Asset.id)).where(Asset.serial.like("BULK-%"))) == 0
    ctx.close()
