"""The safety guard through the web, and the support manager's blocks page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casemgr.assets.services import mark_component
from casemgr.safety.models import SafetyBlock
from tests.integration.test_safety_paths import T0, UNSAFE
from tests.web.test_case_pages import case_number, open_case

ENGINEER, MANAGER = "eng@vendor.example.com", "mgr@vendor.example.com"


@pytest.fixture
def number(world, web, session):
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", T0)
    return case_number(open_case(web("admin@acme.example.com")))


def test_a_refused_reply_keeps_its_text_and_explains_why(number, web, session):
    page = web(ENGINEER).post(f"/cases/{number}/reply", data={"body": UNSAFE, "visibility": "public"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "The safety guard stopped this" in html and "ACME-001-D2 in bay 2 is marked failed" in html
    assert "open an RMA; a replacement ships under the customer&#39;s plan" in html
    assert f"\n{UNSAFE}</textarea>" in html, "the text stays in the form to be rewritten"
    customer = web("admin@acme.example.com").get(f"/cases/{number}").get_data(as_text=True)
    assert "push it back in" not in customer and "safety guard" not in customer


def test_an_unsafe_action_plan_is_refused_on_the_page(number, web):
    page = web(ENGINEER).post(
        f"/cases/{number}/action-plan",
        data={
            "step_action": ["collect_logs", "reinsert_component"],
            "step_component": ["", "ACME-001-D2"],
            "step_note": ["", "try it"],
        },
    )
    assert page.status_code == 422 and "SG-REINSERT-FAILED" in page.get_data(as_text=True)
    ok = web(ENGINEER).post(
        f"/cases/{number}/action-plan",
        data={"step_action": ["collect_logs"], "step_component": [""], "step_note": ["support bundle please"]},
    )
    assert ok.status_code == 302
    assert "Collect logs / support bundle: support bundle please" in web("admin@acme.example.com").get(
        f"/cases/{number}"
    ).get_data(as_text=True)


def test_installing_a_quarantined_serial_through_the_web_is_refused(number, web, session):
    engineer = web(ENGINEER)
    assert (
        engineer.post(
            "/assets/ACME-001/install", data={"slot": "bay 2", "part_number": "DRV-1", "serial": "REPL-0001"}
        ).status_code
        == 302
    )
    refused = engineer.post(
        "/assets/ACME-001/install", data={"slot": "bay 2", "part_number": "DRV-1", "serial": "ACME-001-D2"}
    )
    assert refused.status_code == 422 and "SG-INSTALL-QUARANTINED" in refused.get_data(as_text=True)
    assert (
        web("admin@acme.example.com")
        .post("/assets/ACME-001/install", data={"slot": "bay 1", "part_number": "DRV-1", "serial": "X1"})
        .status_code
        == 403
    )
    assert (
        web("admin@globex.example.com")
        .post("/assets/ACME-001/install", data={"slot": "bay 1", "part_number": "DRV-1", "serial": "X1"})
        .status_code
        == 404
    )


def test_the_blocks_page_is_for_support_managers_only_and_exports_csv(number, web, world, session, clock):
    web(ENGINEER).post(
        f"/cases/{number}/reply",
        data={"body": "=HYPERLINK(1) Reseat the failed drive in bay 2.", "visibility": "public"},
    )
    for email in ("admin@acme.example.com", ENGINEER, "am@vendor.example.com", "field@vendor.example.com"):
        assert web(email).get("/safety/blocks").status_code == 404
        assert web(email).get("/safety/blocks.csv").status_code == 404
    manager = web(MANAGER)
    page = manager.get("/safety/blocks").get_data(as_text=True)
    assert number in page and "SG-REINSERT-FAILED" in page and "Eng" in page
    assert number not in manager.get("/safety/blocks?channel=install").get_data(as_text=True)
    assert number in manager.get(f"/safety/blocks?org={world.acme.id}").get_data(as_text=True)
    assert number not in manager.get(f"/safety/blocks?org={world.globex.id}").get_data(as_text=True)
    assert number not in manager.get("/safety/blocks?since=2030-01-01").get_data(as_text=True)
    today = clock.now().date()
    for query, shown in (
        (f"since={today}&until={today}", True),  # whole days, both ends included
        (f"until={today - timedelta(days=1)}", False),
        (f"since={today + timedelta(days=1)}", False),
        (f"org={world.acme.id}&until={today}", True),
    ):
        assert (number in manager.get(f"/safety/blocks?{query}").get_data(as_text=True)) is shown, query
    exported = manager.get("/safety/blocks.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) == session.scalar(select(func.count()).select_from(SafetyBlock)) == 1
    assert rows[0]["case"] == number and rows[0]["rule"] == "SG-REINSERT-FAILED"
    assert rows[0]["attempted"].startswith("'="), "formula-looking cells are defused"
