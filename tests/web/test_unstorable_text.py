"""Text no database can store (a lone UTF-16 surrogate, NUL) is refused by every endpoint
with a 400 naming the field, before anything is saved, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseEvent
from casemgr.queue.models import Macro
from tests.web.test_api import assert_error, new_case
from tests.web.test_case_pages import case_number, open_case

JSON = {"Content-Type": "application/json"}


def raw_post(client, url: str, text: str, method: str = "POST"):
    """``text`` sent as the JSON body exactly as written (escapes included)."""
    return client.client.open(url, method=method, data=text.encode(), headers={**client.headers, **JSON})


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_comment_with_a_lone_surrogate_is_a_400_naming_the_body_and_saves_nothing(api, world, session):
    client = api("acme_admin")
    number = new_case(client).get_json()["number"]
    events = count(session, CaseEvent)
    response = raw_post(client, f"/api/v1/cases/{number}/comments", '{"body": "\\ud800 hello"}')
    error = assert_error(response, 400, "validation_error")
    assert "'body'" in error["message"] and "surrogate" in error["message"] and "\\ud800" in error["message"]
    assert list(error["details"]) == ["body"]
    assert count(session, CaseEvent) == events
    # The same bytes as raw UTF-8 (not valid UTF-8 at all) are refused too, never a 500.
    raw = client.client.post(
        f"/api/v1/cases/{number}/comments", data=b'{"body": "\xed\xa0\x80 hello"}', headers={**client.headers, **JSON}
    )
    assert_error(raw, 400, "validation_error")
    assert count(session, CaseEvent) == events


def test_a_macro_name_with_a_lone_surrogate_is_refused_not_saved_mangled(api, world, session):
    manager = api("manager")
    macros = count(session, Macro)
    response = raw_post(manager, "/api/v1/macros", '{"name": "s\\ud800", "body": "Hello {customer_name}"}')
    error = assert_error(response, 400, "validation_error")
    assert "'name'" in error["message"] and list(error["details"]) == ["name"]
    assert count(session, Macro) == macros
    created = manager.post("/api/v1/macros", json={"name": "Ack", "body": "Hello {customer_name}"}).get_json()
    update = json.dumps({"name": "Ack", "body": "Hi {customer_name}", "version": created["version"]})
    refused = raw_post(manager, f"/api/v1/macros/{created['id']}", update.replace("Hi", "Hi \\udfff"), "PUT")
    assert_error(refused, 400, "validation_error")
    session.expire_all()
    assert session.get(Macro, created["id"]).body == "Hello {customer_name}"


def test_nested_fields_keys_and_patches_are_checked_too(api, world, session):
    client = api("acme_admin")
    cases = count(session, Case)
    nested = '{"asset_serial": "ACME-001", "severity": 3, "subject": "ok", "description": ["a", {"b": "c\\udc00"}]}'
    error = assert_error(raw_post(client, "/api/v1/cases", nested), 400, "validation_error")
    assert list(error["details"]) == ["description[1].b"]
    key = '{"asset_serial": "ACME-001", "severity": 3, "subject": "ok", "description": "x", "k\\ud800": 1}'
    error = assert_error(raw_post(client, "/api/v1/cases", key), 400, "validation_error")
    assert "name" in error["message"] and list(error["details"]) == ["k\\ud800"]
    assert count(session, Case) == cases
    engineer = world.user("engineer")
    patch = json.dumps({"name": "Eng", "version": engineer.version}).replace("Eng", "Eng \\ud83d")
    refused = raw_post(api("admin"), f"/api/v1/users/{engineer.id}", patch, "PATCH")
    assert_error(refused, 400, "validation_error")
    session.expire_all()
    assert session.get(User, engineer.id).name != "Eng \ud83d"


def test_a_complete_surrogate_pair_is_ordinary_text(api, world, session):
    client = api("acme_admin")
    number = new_case(client).get_json()["number"]
    response = raw_post(client, f"/api/v1/cases/{number}/comments", '{"body": "works now \\ud83d\\ude00"}')
    assert response.status_code == 201, response.get_json()
    bodies = session.scalars(select(CaseEvent.body).join(Case).where(Case.number == number)).all()
    assert "works now \U0001f600" in bodies


def test_nul_is_refused_naming_the_field_and_where_it_came_from(api, web, world, session):
    client = api("acme_admin")
    error = assert_error(new_case(client, subject="Disk\x00"), 400, "validation_error")
    assert "'subject'" in error["message"] and "NUL" in error["message"] and list(error["details"]) == ["subject"]
    error = assert_error(client.get("/api/v1/cases?status=new%00"), 400, "validation_error")
    assert "query parameter 'status'" in error["message"]
    customer = web("admin@acme.example.com")
    number = case_number(open_case(customer))
    events = count(session, CaseEvent)
    page = customer.post(f"/cases/{number}/reply", data={"body": "hello\x00", "visibility": "public"})
    assert page.status_code == 400 and "form field &#39;body&#39;" in page.get_data(as_text=True)
    upload = customer.post(
        f"/cases/{number}/reply",
        data={"body": "log attached", "attachments": [(io.BytesIO(b"log"), "a\x00.log")]},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400 and "name of the file" in upload.get_data(as_text=True)
    assert count(session, CaseEvent) == events


def test_a_form_post_with_invalid_utf8_is_stored_as_readable_text_never_a_500(web, world, session):
    """Form posts cannot carry a lone surrogate: invalid UTF-8 never decodes to one."""
    customer = web("admin@acme.example.com")
    number = case_number(open_case(customer))
    response = customer.client.post(
        f"/cases/{number}/reply",
        data=b"csrf_token=" + customer.token.encode() + b"&visibility=public&body=hello+%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    bodies = session.scalars(select(CaseEvent.body).join(Case).where(Case.number == number)).all()
    reply = next(b for b in bodies if b.startswith("hello"))
    assert reply.encode("utf-8")  # storable text: no surrogate in it
