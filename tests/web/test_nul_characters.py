"""A NUL character anywhere in a request is a 400 with a clear message, never a 500
(PostgreSQL refuses NUL in text), and nothing is written."""

from __future__ import annotations

from sqlalchemy import func, select

from casemgr.cases.models import Case, CaseEvent
from tests.web.test_case_pages import case_number, open_case

NUL = "\x00"


def test_api_query_json_and_path_with_nul_are_400(api, world, session):
    client = api("acme_admin")
    response = client.get("/api/v1/cases?status=new%00")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "validation_error"
    assert "NUL" in response.get_json()["error"]["message"]
    before = session.scalar(select(func.count()).select_from(Case))
    body = {"asset_serial": "ACME-001", "severity": 3, "subject": f"Disk{NUL}", "description": "x"}
    assert client.post("/api/v1/cases", json=body).status_code == 400
    nested = {"asset_serial": "ACME-001", "severity": 3, "subject": "ok", "description": ["a", {"b": f"c{NUL}"}]}
    assert client.post("/api/v1/cases", json=nested).status_code == 400
    assert client.get("/api/v1/cases/CS-%00").status_code == 400
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_a_token_with_nul_is_400_not_a_database_error(app):
    response = app.test_client().get("/api/v1/cases", headers={"Authorization": "Bearer cm_abc\x00def"})
    assert response.status_code == 400


def test_pages_and_forms_with_nul_are_400(web, world, session):
    customer = web("admin@acme.example.com")
    assert customer.get("/assets/%00").status_code == 400
    assert customer.get("/cases/?q=%00").status_code == 400
    number = case_number(open_case(customer))
    events = session.scalar(select(func.count()).select_from(CaseEvent))
    page = customer.post(f"/cases/{number}/reply", data={"body": f"hello{NUL}", "visibility": "public"})
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == events
