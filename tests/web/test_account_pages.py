"""User administration pages and account self-service, through the test client with CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.notifications.mail import MailSettings
from casemgr.notifications.models import Notification
from casemgr.notifications.senders import SmtpSender
from casemgr.notifications.services import deliver_due
from tests.factories import PASSWORD
from tests.smtp_sink import SmtpSink

GOOD = "a brand new passphrase"
CSRF_VALUES = re.compile(r'(content|value)="[\w.-]{40,}"')
LINK = re.compile(r"https://support\.example\.com(/account/password/[A-Za-z0-9_-]+)")


@pytest.fixture
def sink(app):
    """The SMTP server the outbox delivers to; links in mail are absolute on BASE_URL."""
    app.config.update(BASE_URL="https://support.example.com/")
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def deliver(app, session, clock, sink) -> list:
    """Send the outbox to the SMTP sink, as the scheduler's delivery pass does."""
    deliver_due(session, SmtpSender(sink.url), clock.now(), MailSettings.from_config(app.config))
    return [r.message for r in sink.received]


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_admin_lists_every_user_and_filters_by_organisation(world, web):
    client = web("root@vendor.example.com")
    page = text(client.get("/admin/users/"))
    assert "admin@globex.example.com" in page and "eng@vendor.example.com" in page
    assert 'href="/admin/users/"' in page  # the navigation links here
    acme = text(client.get(f"/admin/users/?org={world.acme.id}"))
    assert "admin@acme.example.com" in acme and "admin@globex.example.com" not in acme


def test_a_customer_admin_manages_their_own_organisation_only(world, web):
    client = web("admin@acme.example.com")
    page = text(client.get(f"/admin/users/?org={world.globex.id}"))
    assert "admin@globex.example.com" not in page
    assert "user@acme.example.com" in text(client.get("/admin/users/"))
    globex_admin = world.user("globex_admin").id
    assert client.get(f"/admin/users/{globex_admin}").status_code == 404
    assert client.post(f"/admin/users/{globex_admin}/deactivate", data={"version": "1"}).status_code == 404
    invite = text(client.get("/admin/users/invite"))
    assert 'value="customer_user"' in invite and 'value="admin"' not in invite and "Globex" not in invite
    assert web("user@acme.example.com").get("/admin/users/").status_code == 403


def test_an_invitation_without_csrf_is_refused_and_bad_input_keeps_what_was_typed(world, web, session):
    client = web("root@vendor.example.com")
    form = {"email": "newcomer@acme.example.com", "name": "Nia Newcomer", "organization_id": str(world.acme.id)}
    refused = client.post("/admin/users/invite", data={**form, "role": "customer_user"}, csrf=False)
    assert refused.status_code == 400
    wrong_side = client.post("/admin/users/invite", data={**form, "role": "support_engineer"})
    assert wrong_side.status_code == 422
    body = text(wrong_side)
    assert "belongs to the vendor organisation" in body and 'value="newcomer@acme.example.com"' in body
    assert 'value="Nia Newcomer"' in body
    bad_email = client.post("/admin/users/invite", data={**form, "email": "not-an-address", "role": "customer_user"})
    assert bad_email.status_code == 400 and 'value="not-an-address"' in text(bad_email)
    assert session.scalar(select(User).where(User.email == "newcomer@acme.example.com")) is None


def test_the_invitation_reaches_the_mailbox_and_its_link_sets_the_password_and_logs_in(
    world, web, app, session, clock, sink
):
    admin = web("root@vendor.example.com")
    response = admin.post(
        "/admin/users/invite",
        data={"email": "newcomer@acme.example.com", "organization_id": str(world.acme.id), "role": "customer_user"},
    )
    assert response.status_code == 303
    [message] = deliver(app, session, clock, sink)
    assert message["To"] == "newcomer@acme.example.com" and "invited you" in message["Subject"]
    path = LINK.search(message.get_body(("plain",)).get_content()).group(1)

    browser = web()
    page = browser.client.get(path)
    assert page.status_code == 200 and "Choose your password" in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    token = csrf_of(page)
    weak = browser.client.post(path, data={"password": "short", "confirm": "short", "csrf_token": token})
    assert weak.status_code == 422 and "at least 10 characters" in text(weak)
    differ = browser.client.post(path, data={"password": GOOD, "confirm": GOOD + "x", "csrf_token": token})
    assert differ.status_code == 400 and "The two passwords differ." in text(differ)
    done = browser.client.post(path, data={"password": GOOD, "confirm": GOOD, "csrf_token": token})
    assert done.status_code == 303
    assert browser.client.get("/settings").status_code == 200  # logged in
    again = browser.client.get(path)
    assert again.status_code == 410 and "already been used" in text(again) and "/account/forgot" in text(again)
    web().login("newcomer@acme.example.com", GOOD)


def test_an_expired_link_says_so_and_offers_a_new_one(world, web, app, session, clock, sink):
    admin = web("root@vendor.example.com")
    user = world.user("acme_user")
    assert admin.post(f"/admin/users/{user.id}/password-reset", data={"version": str(user.version)}).status_code == 303
    [message] = deliver(app, session, clock, sink)
    path = LINK.search(message.get_body(("plain",)).get_content()).group(1)
    clock.advance(timedelta(hours=2))
    page = web().client.get(path)
    assert page.status_code == 410
    assert "This link has expired" in text(page) and 'href="/account/forgot"' in text(page)
    assert web().client.get("/account/password/" + "x" * 43).status_code == 404


def test_forgot_password_answers_the_same_whether_the_address_exists_or_not(world, web, app, session, clock, sink):
    login = text(web().client.get("/login"))
    assert 'href="/account/forgot"' in login and "Forgot password?" in login
    answers = []
    for email in ("user@acme.example.com", "nobody@acme.example.com"):
        browser = web().client
        token = csrf_of(browser.get("/account/forgot"))
        answer = browser.post("/account/forgot", data={"email": email, "csrf_token": token})
        page = CSRF_VALUES.sub("", text(answer).replace(email, ""))  # each browser has its own token
        answers.append((answer.status_code, page))
    assert answers[0] == answers[1] and answers[0][0] == 200
    [message] = deliver(app, session, clock, sink)
    assert message["To"] == "user@acme.example.com" and message["Subject"] == "Reset your Casemgr password"
    path = LINK.search(message.get_body(("plain",)).get_content()).group(1)
    browser = web().client
    token = csrf_of(browser.get(path))
    assert browser.post(path, data={"password": GOOD, "confirm": GOOD, "csrf_token": token}).status_code == 303
    web().login("user@acme.example.com", GOOD)


def test_a_saved_session_cookie_no_longer_works_after_logout(world, web, app):
    client = web("user@acme.example.com")
    saved = client.client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", saved)
    response = thief.get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(world, web):
    laptop, phone = web("user@acme.example.com"), web("user@acme.example.com")
    wrong = laptop.post("/settings/password", data={"current": "nope", "password": GOOD, "confirm": GOOD})
    assert wrong.status_code == 422 and "The current password is wrong." in text(wrong)
    weak = laptop.post(
        "/settings/password", data={"current": PASSWORD, "password": "abcabcabca", "confirm": "abcabcabca"}
    )
    assert weak.status_code == 422 and "5 different characters" in text(weak)
    done = laptop.post("/settings/password", data={"current": PASSWORD, "password": GOOD, "confirm": GOOD})
    assert done.status_code == 303
    assert laptop.get("/settings").status_code == 200
    assert phone.get("/settings").status_code == 302  # the other session ended
    web().login("user@acme.example.com", GOOD)


def test_deactivation_ends_the_users_sessions_and_login(world, web, session):
    user = world.user("acme_user")
    browser = web("user@acme.example.com")
    admin = web("admin@acme.example.com")
    assert admin.post(f"/admin/users/{user.id}/deactivate", data={"version": str(user.version)}).status_code == 303
    assert browser.get("/cases/").status_code == 302
    again = web().client
    token = csrf_of(again.get("/login"))
    login = again.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 400
    page = text(admin.get(f"/admin/users/{user.id}"))
    assert "Reactivate" in page
    assert re.search(r'deactivated\s*</td>\s*<td data-label="By">Admin</td><td data-label="Via">web</td>', page)


def test_a_role_change_from_a_stale_page_is_refused_with_the_reason(world, web, session):
    user = world.user("acme_user")
    admin = web("admin@acme.example.com")
    stale = str(user.version)
    form = {"name": user.name, "role": "customer_admin", "version": stale}
    assert admin.post(f"/admin/users/{user.id}", data=form).status_code == 303
    refused = admin.post(f"/admin/users/{user.id}", data={**form, "role": "customer_user", "name": "Typed Name"})
    assert refused.status_code == 409 and "changed by someone else" in text(refused)
    assert 'value="Typed Name"' in text(refused)
    vendor = admin.post(f"/admin/users/{user.id}", data={**form, "role": "admin", "version": str(user.version + 1)})
    assert vendor.status_code in (400, 422)
    session.expire_all()
    assert session.get(User, user.id).role == "customer_admin"


def test_the_mail_queued_by_an_invitation_is_in_the_outbox_until_sent(world, web, session):
    web("root@vendor.example.com").post(
        "/admin/users/invite",
        data={
            "email": "l2@vendor.example.com",
            "organization_id": str(world.vendor.id),
            "role": "support_engineer",
            "tier": "L2",
        },
    )
    row = session.scalar(select(Notification).where(Notification.email == "l2@vendor.example.com"))
    assert row.status == "pending" and "/account/password/" in row.body
    assert session.scalar(select(User).where(User.email == "l2@vendor.example.com")).tier == "L2"
