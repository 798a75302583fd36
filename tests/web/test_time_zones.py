"""One time zone per person (issue 19): pages show the viewer's zone, forms read times in
the zone they state, the browser's zone is used when none is chosen, digests follow it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from casemgr.cases.models import Commitment
from casemgr.notifications.digest import send_daily_digests
from casemgr.notifications.models import Notification
from casemgr.notifications.preferences import set_preferences
from casemgr.registry import registry_of
from tests.web.test_rma_pages import FIELD, acme_rma  # noqa: F401  (fixture)

ENG = "eng@vendor.example.com"


def _case(acme_rma):  # noqa: F811
    return acme_rma.case


def test_the_chosen_zone_is_saved_and_an_unknown_one_refused(session, world, web):
    client = web(ENG)
    response = client.post("/settings/timezone", data={"timezone": "Asia/Tokyo"}, follow_redirects=True)
    assert "Times are now shown in Asia/Tokyo." in response.get_data(as_text=True)
    session.expire_all()
    assert world.user("engineer").timezone == "Asia/Tokyo"
    response = client.post("/settings/timezone", data={"timezone": "Mars/Olympus"}, follow_redirects=True)
    assert "Unknown time zone" in response.get_data(as_text=True)
    session.expire_all()
    assert world.user("engineer").timezone == "Asia/Tokyo"  # unchanged
    client.post("/settings/timezone", data={"timezone": ""})
    session.expire_all()
    assert world.user("engineer").timezone is None


def test_a_case_page_shows_one_zone_the_viewers(session, world, web, acme_rma):  # noqa: F811
    number = acme_rma.case.number
    world.user("engineer").timezone = "Asia/Tokyo"
    session.commit()
    body = web(ENG).get(f"/cases/{number}").get_data(as_text=True)
    # the site is in New York, the viewer in Tokyo: every time shown is Tokyo's (a dispatch's
    # stored text says "(site time, ...)" of its own)
    zones = set(re.findall(r"\d\d:\d\d ([A-Z]{2,5})\b(?! \(site time)", body))
    assert zones == {"JST"}


def test_the_browsers_zone_is_used_when_none_is_chosen_and_checked(session, world, web, acme_rma):  # noqa: F811
    number = acme_rma.case.number
    client = web(ENG)
    client.client.set_cookie("tz", "Europe/Berlin")
    assert "CET" in client.get(f"/cases/{number}").get_data(as_text=True)
    client.client.set_cookie("tz", "Evil/<script>")
    body = client.get(f"/cases/{number}").get_data(as_text=True)
    assert "Evil" not in body and "CET" not in body  # an unknown name is ignored (the vendor has no site: UTC)
    assert "UTC" in body


def test_a_commitment_due_time_is_read_in_the_zone_the_form_states(session, world, web, acme_rma, clock):  # noqa: F811
    case = acme_rma.case
    world.user("engineer").timezone = "Europe/Berlin"
    session.commit()
    client = web(ENG)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "Due (Europe/Berlin, UTC+01:00)" in page
    form = {
        "description": "Send the failure analysis",
        "recipient": "Acme admin",
        "owner_id": str(world.user("engineer").id),
        "due_at": "2026-11-03T10:00",
    }
    client.post(f"/cases/{case.number}/commitments", data=form)
    due = session.scalars(select(Commitment.due_at).where(Commitment.case_id == case.id)).one()
    assert due.astimezone(UTC) == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def test_a_time_the_clocks_skip_is_a_form_error(session, world, web, acme_rma):  # noqa: F811
    case = acme_rma.case
    world.user("engineer").timezone = "Europe/Berlin"
    session.commit()
    form = {
        "description": "Call back",
        "recipient": "Acme admin",
        "owner_id": str(world.user("engineer").id),
        "due_at": "2027-03-28T02:30",
    }
    response = web(ENG).post(f"/cases/{case.number}/commitments", data=form)
    assert response.status_code == 400
    assert "does not exist in Europe/Berlin" in response.get_data(as_text=True)
    assert session.scalars(select(Commitment).where(Commitment.case_id == case.id)).first() is None


def test_a_visit_window_shows_the_site_time_beside_the_viewers(session, world, web, acme_rma):  # noqa: F811
    world.user("field").timezone = "Europe/London"
    session.commit()
    body = web(FIELD).get("/rmas/dispatches").get_data(as_text=True)
    assert "GMT (site " in body and "EST)" in body


def test_the_daily_digest_comes_at_seven_on_the_users_own_clock(session, world, app, acme_rma, clock):  # noqa: F811
    from casemgr.cases import comments
    from tests.integration.conftest import T0

    admin = world.user("acme_admin")
    admin.timezone = "Asia/Tokyo"  # 07:00 JST is 22:00 UTC the day before
    set_preferences(session, admin, {"reply": "digest"}, T0)
    comments.add_comment(
        session, world.user("engineer"), _store(app), acme_rma.case, body="Held update", public=True, now=T0
    )
    factory = registry_of(app).db.write_session_factory
    day_after = T0.replace(hour=21, minute=59)  # 06:59 JST on Nov 3
    assert send_daily_digests(factory, day_after) == 0
    assert send_daily_digests(factory, day_after + timedelta(minutes=1)) == 1  # 07:00 JST
    session.expire_all()
    [mail] = session.scalars(select(Notification).where(Notification.kind == "digest")).all()
    assert "JST" in mail.body


def _store(app):
    from casemgr.cases.attachments import LocalAttachmentStore

    return LocalAttachmentStore(app.config["ATTACHMENT_DIR"], app.config["MAX_CONTENT_LENGTH"])
