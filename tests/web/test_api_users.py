"""User administration over the REST API: the same services, rules and audit as the pages."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.accounts.models import AccountEvent
from casemgr.notifications.models import Notification
from tests.web.test_api import assert_error


def patch(client, url, json=None, headers=None):
    return client.client.patch(url, json=json, headers={**client.headers, **(headers or {})})


def test_an_admin_lists_users_by_organisation_and_invites_one(api, world, session):
    root = api("admin")
    listed = root.get(f"/api/v1/users?organization_id={world.acme.id}")
    assert listed.status_code == 200
    assert {u["email"] for u in listed.get_json()} == {"admin@acme.example.com", "user@acme.example.com"}
    created = root.post(
        "/api/v1/users",
        json={"email": "Ops@Acme.example.com", "role": "customer_user", "organization_id": world.acme.id},
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["email"] == "ops@acme.example.com" and body["status"] == "invited" and body["version"] == 1
    assert created.headers["ETag"] == '"1"'
    mail = session.scalar(select(Notification).where(Notification.email == "ops@acme.example.com"))
    assert mail is not None and "/account/password/" in mail.body
    audit = session.scalar(select(AccountEvent).where(AccountEvent.user_id == body["id"]))
    assert (audit.kind, audit.channel, audit.actor_id) == ("invited", "api", world.user("admin").id)


def test_an_account_created_with_a_password_is_audited_too(api, world, session):
    created = api("admin").post(
        "/api/v1/users",
        json={"email": "direct@vendor.example.com", "role": "support_manager", "password": "a long enough secret"},
    )
    assert created.status_code == 201 and created.get_json()["status"] == "active"
    audit = session.scalar(select(AccountEvent).where(AccountEvent.user_id == created.get_json()["id"]))
    assert (audit.kind, audit.channel, audit.detail) == ("created", "api", "as support_manager in Vendor")


def test_invitations_refuse_bad_input_with_the_error_envelope(api, world):
    root = api("admin")
    assert_error(root.post("/api/v1/users", json={"email": "x", "role": "customer_user"}), 422, "validation_error")
    assert_error(
        root.post(
            "/api/v1/users", json={"email": "a@acme.example.com", "role": "admin", "organization_id": world.acme.id}
        ),
        422,
        "rule_violation",
    )
    assert_error(
        root.post(
            "/api/v1/users",
            json={"email": "user@acme.example.com", "role": "customer_user", "organization_id": world.acme.id},
        ),
        409,
        "conflict",
    )
    assert_error(
        root.post(
            "/api/v1/users", json={"email": "b@x.example.com", "role": "customer_user", "organization_id": 99999}
        ),
        404,
        "not_found",
    )
    assert_error(api("engineer").get("/api/v1/users"), 403, "forbidden")
    assert_error(
        api("acme_user").post("/api/v1/users", json={"email": "c@acme.example.com", "role": "customer_user"}),
        403,
        "forbidden",
    )


def test_a_customer_admin_gets_404_for_another_organisations_users(api, world):
    acme = api("acme_admin")
    assert {u["organization_id"] for u in acme.get("/api/v1/users").get_json()} == {world.acme.id}
    assert acme.get(f"/api/v1/users?organization_id={world.globex.id}").get_json() == []
    globex_admin = world.user("globex_admin").id
    for method, url in (
        ("GET", f"/api/v1/users/{globex_admin}"),
        ("PATCH", f"/api/v1/users/{globex_admin}"),
        ("POST", f"/api/v1/users/{globex_admin}/deactivate"),
        ("POST", f"/api/v1/users/{globex_admin}/reactivate"),
        ("POST", f"/api/v1/users/{globex_admin}/password-reset"),
    ):
        if method == "GET":
            response = acme.get(url)
        elif method == "PATCH":
            response = patch(acme, url, {"role": "customer_user", "version": 1})
        else:
            response = acme.post(url, json={})
        assert_error(response, 404, "not_found")
    assert_error(
        acme.post(
            "/api/v1/users",
            json={"email": "x@globex.example.com", "role": "customer_user", "organization_id": world.globex.id},
        ),
        404,
        "not_found",
    )
    own = acme.post("/api/v1/users", json={"email": "new@acme.example.com", "role": "customer_admin"})
    assert own.status_code == 201 and own.get_json()["organization_id"] == world.acme.id
    assert_error(
        acme.post(
            "/api/v1/users",
            json={"email": "pw@acme.example.com", "role": "customer_user", "password": "a long enough secret"},
        ),
        403,
        "forbidden",
    )
    user = world.user("acme_user").id
    assert_error(patch(acme, f"/api/v1/users/{user}", {"role": "support_manager", "version": 1}), 422, "rule_violation")


def test_patch_needs_the_version_read_and_refuses_a_stale_one(api, world):
    root = api("admin")
    engineer = world.user("engineer").id
    read = root.get(f"/api/v1/users/{engineer}")
    etag = read.headers["ETag"]
    assert_error(patch(root, f"/api/v1/users/{engineer}", {"tier": "L2"}), 428, "precondition_required")
    changed = patch(root, f"/api/v1/users/{engineer}", {"tier": "L2"}, {"If-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["tier"] == "L2"
    assert changed.headers["ETag"] != etag
    assert_error(patch(root, f"/api/v1/users/{engineer}", {"tier": "L3"}, {"If-Match": etag}), 409, "conflict")
    assert_error(patch(root, f"/api/v1/users/{engineer}", {"tier": "L3", "version": 1}), 409, "conflict")
    assert_error(patch(root, f"/api/v1/users/{engineer}", {"tier": "L3"}, {"If-Match": "abc"}), 400, "bad_request")
    assert_error(patch(root, f"/api/v1/users/{engineer}", {"tier": "L9", "version": 2}), 422, "validation_error")
    manager = patch(root, f"/api/v1/users/{engineer}", {"role": "support_manager", "version": 2})
    assert manager.status_code == 200 and manager.get_json()["tier"] is None
    assert_error(patch(root, f"/api/v1/users/{engineer}", {"tier": "L1", "version": 3}), 422, "rule_violation")
    assert_error(patch(root, "/api/v1/users/99999", {"tier": "L1", "version": 3}), 404, "not_found")


def test_a_deactivated_users_token_answers_401_until_reactivated(api, world):
    root, victim = api("admin"), api("acme_user")
    assert victim.get("/api/v1/cases").status_code == 200
    user = world.user("acme_user").id
    done = root.post(f"/api/v1/users/{user}/deactivate", json={})
    assert done.status_code == 200 and done.get_json()["status"] == "deactivated"
    assert_error(victim.get("/api/v1/cases"), 401, "unauthorized")
    assert_error(root.post(f"/api/v1/users/{user}/deactivate", json={}), 422, "rule_violation")
    assert_error(root.post(f"/api/v1/users/{user}/reactivate", json={"version": 1}), 409, "conflict")
    assert root.post(f"/api/v1/users/{user}/reactivate", json={}).get_json()["is_active"] is True
    assert victim.get("/api/v1/cases").status_code == 200


def test_an_admin_sends_a_password_reset_through_the_outbox(api, world, session):
    user = world.user("acme_user")
    sent = api("admin").post(f"/api/v1/users/{user.id}/password-reset")
    assert sent.status_code == 202 and sent.get_json() == {"sent": True, "email": user.email}
    mail = session.scalar(select(Notification).where(Notification.email == user.email))
    assert mail.subject == "Reset your Casemgr password" and "/account/password/" in mail.body


def test_every_users_route_is_in_the_openapi_document(api):
    paths = api("admin").get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/users"])
    assert {"get", "patch"} <= set(paths["/api/v1/users/{user_id}"])
    for action in ("deactivate", "reactivate", "password-reset"):
        assert "post" in paths[f"/api/v1/users/{{user_id}}/{action}"]
    assert any(p["name"] == "If-Match" for p in paths["/api/v1/users/{user_id}"]["patch"]["parameters"])
