"""/admin/calendars through the test client: hours, holidays, .ics and country imports."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from casemgr.audit import AuditEntry
from casemgr.contracts.models import BusinessCalendar
from tests.unit.test_calendar_rules import ics

MANAGER = "mgr@vendor.example.com"
WEEK = {d: "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def calendar(session, name: str = "Business") -> BusinessCalendar:
    session.expire_all()
    return session.scalar(select(BusinessCalendar).where(BusinessCalendar.name == name))


def test_a_manager_creates_a_calendar_with_hours_per_weekday(web, world, session):
    client = web(MANAGER)
    page = client.get("/admin/calendars/").get_data(as_text=True)
    assert "Business" in page and "STD" in page and "New calendar" in page
    form = {
        **WEEK,
        "name": "Lab hours",
        "timezone": "Europe/Berlin",
        "mon": "08:00-12:00, 13:00-17:00",
        "sat": "09:00-13:00",
    }
    response = client.post("/admin/calendars/", data=form)
    assert response.status_code == 303
    created = calendar(session, "Lab hours")
    assert created.weekly_hours == {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["09:00", "13:00"]]}
    assert created.timezone == "Europe/Berlin"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Lab hours</h1>" in page and 'value="08:00-12:00, 13:00-17:00"' in page


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"mon": "17:00-08:00"}, "ends before it starts"),
        ({"mon": "8 to 5"}, "write hours as 08:00-17:00"),
        ({"timezone": "Mars/Base"}, "Unknown time zone"),
        ({"name": "24x7"}, "already exists"),
    ],
)
def test_bad_hours_are_refused_and_the_form_keeps_what_was_typed(web, world, session, changes, words):
    client = web(MANAGER)
    form = {**WEEK, "name": "Typed name", "mon": "08:00-17:00", **changes}
    response = client.post("/admin/calendars/", data=form)
    body = response.get_data(as_text=True)
    assert response.status_code in (409, 422) and words in body
    assert f'value="{form["name"]}"' in body and f'value="{form["mon"]}"' in body
    assert calendar(session, form["name"]) is None or form["name"] == "24x7"


def test_editing_checks_the_version_and_retimes(web, world, session):
    client, cal = web(MANAGER), calendar(session)
    url = f"/admin/calendars/{cal.id}"
    form = {**WEEK, "name": "Business", "mon": "09:00-17:00", "version": str(cal.version)}
    assert client.post(url, data=form).status_code == 303
    assert calendar(session).weekly_hours == {"mon": [["09:00", "17:00"]]}
    stale = client.post(url, data={**form, "mon": "10:00-11:00"})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)
    assert calendar(session).weekly_hours == {"mon": [["09:00", "17:00"]]}


def test_holidays_are_added_removed_and_imported(web, world, session):
    client, cal = web(MANAGER), calendar(session)
    base = f"/admin/calendars/{cal.id}"
    assert client.post(f"{base}/holidays", data={"day": "2026-12-24"}).status_code == 303
    assert client.post(f"{base}/holidays", data={"day": "not a date"}).status_code == 400
    data = ics("DTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270102\r\nSUMMARY:Year end\r\n")
    uploaded = client.post(
        f"{base}/ics", data={"file": (io.BytesIO(data), "year-end.ics")}, content_type="multipart/form-data"
    )
    assert uploaded.status_code == 303
    bad = client.post(f"{base}/ics", data={"file": (io.BytesIO(b"nope"), "x.ics")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "not an iCalendar" in bad.get_data(as_text=True)
    assert client.post(f"{base}/country", data={"country": "DE", "year": "2027"}).status_code == 303
    unknown = client.post(f"{base}/country", data={"country": "XX", "year": "2027"})
    assert unknown.status_code == 422 and "no public holidays known" in unknown.get_data(as_text=True)
    assert client.post(f"{base}/holidays/remove", data={"day": "2026-12-24"}).status_code == 303
    holidays = calendar(session).holidays
    assert "2026-12-24" not in holidays and {"2026-12-31", "2027-01-01", "2027-10-03"} <= set(holidays)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == cal.id)).all()
    assert actions.count("calendar.holidays_added") == 3 and actions[-1] == "calendar.holidays_removed"
    page = client.get(base).get_data(as_text=True)
    assert "2027-10-03" in page and "Remove 2027-10-03" in page


def test_posts_without_the_csrf_token_are_refused(web, world, session):
    client, cal = web(MANAGER), calendar(session)
    response = client.post(f"/admin/calendars/{cal.id}/holidays", data={"day": "2026-12-24"}, csrf=False)
    assert response.status_code == 400 and calendar(session).holidays == []


@pytest.mark.parametrize(
    "email", ["admin@acme.example.com", "eng@vendor.example.com", "am@vendor.example.com", "field@vendor.example.com"]
)
def test_only_managers_and_admins_open_the_calendar_pages(web, world, session, email):
    client, cal = web(email), calendar(session)
    for url in ("/admin/calendars/", f"/admin/calendars/{cal.id}"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/calendars/{cal.id}/holidays", data={"day": "2026-12-24"}).status_code == 403
    assert calendar(session).holidays == []
