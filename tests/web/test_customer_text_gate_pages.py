"""The gate through the browser forms and the API: a refusal looks the same everywhere
(HTML keeps the text and shows reason and safe alternative; API 422 ``safety_guard``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.assets.services import mark_component
from casemgr.cases.models import Case, CaseEvent
from casemgr.safety.models import SafetyBlock

UNSAFE = "Please push the failed drive in bay 2 back in and watch the rebuild"
ENGINEER = "eng@vendor.example.com"


@pytest.fixture
def failed_case(session, world, api, clock):
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", clock.now())
    response = api("acme_admin").post(
        "/api/v1/cases",
        json={
            "asset_serial": "ACME-001",
            "severity": 2,
            "subject": "Bay 2 amber",
            "description": "Drive in bay 2 failed",
        },
    )
    assert response.status_code == 201
    return response.get_json()


def _assert_api_refusal(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "safety_guard"
    assert error["details"][0]["rule"] == "SG-REINSERT-FAILED"
    assert "RMA" in error["details"][0]["safe_alternative"]


@pytest.mark.parametrize(
    "path, body",
    [
        ("severity", {"severity": 1, "reason": UNSAFE}),
        ("status", {"status": "waiting_customer", "note": UNSAFE}),
        ("status", {"status": "resolved", "note": f"Resolved. {UNSAFE}."}),
        ("commitments", {"description": UNSAFE, "recipient": "Ana", "due_at": "2030-01-01T10:00:00Z"}),
    ],
)
def test_the_api_refuses_unsafe_text_in_every_customer_visible_field(session, api, failed_case, path, body):
    number, version = failed_case["number"], failed_case["version"]
    payload = body if path == "commitments" else {"version": version, **body}
    response = api("engineer").post(f"/api/v1/cases/{number}/{path}", json=payload)
    _assert_api_refusal(response)
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == number))
    assert (case.severity, case.status) == (2, "new")
    assert not session.scalars(
        select(CaseEvent).where(CaseEvent.body.contains("push the failed drive"), CaseEvent.public.is_(True))
    ).all()
    assert UNSAFE[:30] in session.scalar(select(SafetyBlock.attempted).order_by(SafetyBlock.id.desc()))


@pytest.mark.parametrize(
    "path, form, field",
    [
        ("severity", {"severity": "1", "reason": UNSAFE}, "reason"),
        ("status", {"status": "waiting_customer", "note": UNSAFE}, "note"),
        ("commitments", {"description": UNSAFE, "recipient": "Ana", "due_at": "2030-01-01T10:00"}, "description"),
    ],
)
def test_a_refused_form_keeps_the_text_and_says_why(session, world, web, failed_case, path, form, field):
    client = web(ENGINEER)
    if path == "commitments":
        form = {**form, "owner_id": str(world.user("engineer").id)}
    response = client.post(f"/cases/{failed_case['number']}/{path}", data={"version": "1", **form})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The safety guard stopped this" in html and "SG-REINSERT-FAILED" in html and "open an RMA" in html
    assert f'name="{field}"' in html and "push the failed drive in bay 2 back in" in html.split("Refused:")[-1]
    session.expire_all()
    assert not session.scalars(
        select(CaseEvent).where(CaseEvent.body.contains("push the failed drive"), CaseEvent.public.is_(True))
    ).all()


def test_the_safety_blocks_page_lists_a_refused_severity_reason(session, web, api, failed_case):
    api("engineer").post(
        f"/api/v1/cases/{failed_case['number']}/severity",
        json={"version": failed_case["version"], "severity": 1, "reason": UNSAFE},
    )
    page = web("mgr@vendor.example.com").get("/safety/blocks").get_data(as_text=True)
    assert "SG-REINSERT-FAILED" in page and "push the failed drive" in page
