"""User administration services on both databases: invitations, roles, deactivation,
resets, and the audit trail each leaves."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from casemgr.accounts import selfservice, services
from casemgr.accounts.links import check_link
from casemgr.accounts.models import AccountEvent, AccountLink
from casemgr.accounts.rules import AccountRuleError
from casemgr.auth.tokens import create_token, find_token
from casemgr.errors import ConflictError, ForbiddenError, NotFoundError
from casemgr.notifications.models import Notification
from tests.integration.conftest import T0

NEW_PASSWORD = "a brand new passphrase"


def outbox_to(session, email):
    session.expire_all()
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.email == email, Notification.channel == "email")
            .order_by(Notification.id)
        )
    )


def token_from(body: str) -> str:
    line = next(part for part in body.split() if "/account/password/" in part)
    return line.rsplit("/", 1)[1]


def events(session, user):
    session.expire_all()
    return [
        (e.kind, e.actor_id, e.channel)
        for e in session.scalars(select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id))
    ]


def invite(session, actor, **kw):
    args = {"email": "new.person@acme.example.com", "role": "customer_user", "now": T0, "channel": "web"} | kw
    return services.invite_user(session, actor, **args)


def test_an_invitation_creates_an_account_without_password_and_mails_a_hashed_single_use_link(session, world):
    admin = world.user("admin")
    user = invite(session, admin, organization_id=world.acme.id, name="New Person")
    assert user.organization_id == world.acme.id and not user.has_password and user.is_active
    [mail] = outbox_to(session, "new.person@acme.example.com")
    assert "invited you to Casemgr" in mail.subject and mail.status == "pending"
    token = token_from(mail.body)
    link = session.scalar(select(AccountLink).where(AccountLink.user_id == user.id))
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in link.token_hash
    assert link.expires_at == T0 + timedelta(hours=72) and link.purpose == "invite"
    assert events(session, user) == [("invited", admin.id, "web")]

    selfservice.set_password_with_link(session, token, NEW_PASSWORD, now=T0 + timedelta(hours=71))
    session.expire_all()
    assert user.check_password(NEW_PASSWORD)
    assert check_link(session, token, T0 + timedelta(hours=71)).state == "used"
    with pytest.raises(ConflictError, match="used"):
        selfservice.set_password_with_link(session, token, "another good passphrase", now=T0 + timedelta(hours=71))
    assert events(session, user)[-1] == ("invitation_accepted", user.id, "web")


def test_an_expired_invitation_no_longer_sets_a_password(session, world):
    user = invite(session, world.user("admin"), organization_id=world.acme.id)
    token = token_from(outbox_to(session, user.email)[0].body)
    late = T0 + timedelta(hours=72)
    assert check_link(session, token, late).state == "expired"
    with pytest.raises(ConflictError, match="expired"):
        selfservice.set_password_with_link(session, token, NEW_PASSWORD, now=late)
    assert not user.has_password


def test_a_weak_password_is_refused_and_the_link_still_works(session, world):
    user = invite(session, world.user("admin"), organization_id=world.acme.id)
    token = token_from(outbox_to(session, user.email)[0].body)
    with pytest.raises(AccountRuleError, match="at least 10"):
        selfservice.set_password_with_link(session, token, "short", now=T0)
    session.rollback()
    assert check_link(session, token, T0).state == "valid"


def test_a_customer_admin_invites_into_their_own_organisation_only_and_never_a_vendor_role(session, world):
    acme_admin = world.user("acme_admin")
    user = invite(session, acme_admin)
    assert user.organization_id == world.acme.id
    with pytest.raises(NotFoundError):
        invite(session, acme_admin, email="x@globex.example.com", organization_id=world.globex.id)
    with pytest.raises(AccountRuleError, match="vendor role"):
        invite(session, acme_admin, email="root2@acme.example.com", role="admin")
    with pytest.raises(ForbiddenError):
        invite(session, world.user("acme_user"), email="y@acme.example.com")


def test_roles_must_fit_the_organisation_and_tiers_belong_to_support_engineers(session, world):
    admin = world.user("admin")
    with pytest.raises(AccountRuleError, match="vendor organisation"):
        invite(session, admin, email="eng@acme.example.com", role="support_engineer", organization_id=world.acme.id)
    with pytest.raises(AccountRuleError, match="partner organisation"):
        invite(session, admin, email="c@vendor.example.com", role="customer_user", organization_id=world.vendor.id)
    with pytest.raises(ConflictError, match="already exists"):
        invite(session, admin, email="ADMIN@acme.example.com", organization_id=world.acme.id)
    engineer = world.user("engineer")
    services.update_user(session, admin, engineer, expected_version=engineer.version, tier="L2", now=T0, channel="api")
    assert engineer.tier == "L2"
    services.update_user(
        session, admin, engineer, expected_version=engineer.version, role="support_manager", now=T0, channel="api"
    )
    assert engineer.role == "support_manager" and engineer.tier is None
    assert [k for k, _a, _c in events(session, engineer)] == ["tier_changed", "role_changed", "tier_changed"]
    with pytest.raises(AccountRuleError, match="Only a support engineer has a tier"):
        services.update_user(session, admin, engineer, expected_version=None, tier="L1", now=T0, channel="api")


def test_a_stale_version_is_a_conflict_not_a_silent_overwrite(session, world):
    admin, user = world.user("admin"), world.user("acme_user")
    read = user.version
    services.update_user(session, admin, user, expected_version=read, role="customer_admin", now=T0, channel="web")
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.update_user(session, admin, user, expected_version=read, role="customer_user", now=T0, channel="web")
    session.rollback()
    assert user.role == "customer_admin"


def test_a_customer_admin_sees_and_changes_only_their_own_organisation(session, world):
    acme_admin = world.user("acme_admin")
    assert {u.organization_id for u in services.users_for(session, acme_admin)} == {world.acme.id}
    assert services.users_for(session, acme_admin, world.globex.id) == []
    globex_admin = world.user("globex_admin")
    with pytest.raises(NotFoundError):
        services.get_user_for(session, acme_admin, globex_admin.id)
    acme_user = world.user("acme_user")
    services.update_user(
        session, acme_admin, acme_user, expected_version=None, role="customer_admin", now=T0, channel="web"
    )
    with pytest.raises(AccountRuleError, match="vendor role"):
        services.update_user(session, acme_admin, acme_user, expected_version=None, role="admin", now=T0, channel="web")
    with pytest.raises(AccountRuleError, match="your own account"):
        services.update_user(
            session, acme_admin, acme_admin, expected_version=None, role="customer_user", now=T0, channel="web"
        )


def test_a_deactivated_user_cannot_log_in_and_their_tokens_stop_working(session, world):
    from casemgr.auth.services import authenticate

    admin, user = world.user("admin"), world.user("acme_user")
    _, token = create_token(session, user, "monitoring", T0)
    generation = user.session_generation
    services.deactivate_user(session, admin, user, now=T0, channel="api")
    assert find_token(session, token) is None
    assert authenticate(session, user.email, "correct horse battery") is None
    assert user.session_generation == generation + 1
    with pytest.raises(AccountRuleError, match="already deactivated"):
        services.deactivate_user(session, admin, user, now=T0, channel="api")
    session.rollback()
    with pytest.raises(AccountRuleError, match="your own account"):
        services.deactivate_user(session, admin, admin, now=T0, channel="api")
    services.reactivate_user(session, admin, user, now=T0, channel="api")
    assert find_token(session, token) is not None
    assert [k for k, _a, _c in events(session, user)] == ["deactivated", "reactivated"]


def test_a_reset_is_mailed_for_a_known_address_only_and_the_old_password_works_until_used(session, world):
    user = world.user("acme_user")
    selfservice.request_password_reset(session, "nobody@acme.example.com", now=T0)
    selfservice.request_password_reset(session, " USER@acme.example.com ", now=T0)
    assert outbox_to(session, "nobody@acme.example.com") == []
    [mail] = outbox_to(session, user.email)
    assert mail.subject == "Reset your Casemgr password"
    assert user.check_password("correct horse battery")
    selfservice.set_password_with_link(session, token_from(mail.body), NEW_PASSWORD, now=T0 + timedelta(minutes=30))
    session.expire_all()
    assert user.check_password(NEW_PASSWORD) and not user.check_password("correct horse battery")
    assert [k for k, _a, _c in events(session, user)] == ["password_reset_requested", "password_reset"]


def test_a_newer_link_replaces_the_older_one(session, world):
    admin, user = world.user("admin"), world.user("acme_user")
    services.send_password_reset(session, admin, user, now=T0, channel="web")
    services.send_password_reset(session, admin, user, now=T0 + timedelta(minutes=1), channel="web")
    first, second = (token_from(m.body) for m in outbox_to(session, user.email))
    assert check_link(session, first, T0 + timedelta(minutes=2)).state == "used"
    assert check_link(session, second, T0 + timedelta(minutes=2)).state == "valid"
    assert check_link(session, second, T0 + timedelta(hours=3)).state == "expired"


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(session, world):
    user = world.user("acme_user")
    generation = user.session_generation
    with pytest.raises(AccountRuleError, match="current password is wrong"):
        selfservice.change_password(session, user, current="wrong", new=NEW_PASSWORD, now=T0)
    with pytest.raises(AccountRuleError, match="at least 10"):
        selfservice.change_password(session, user, current="correct horse battery", new="short", now=T0)
    session.rollback()
    selfservice.change_password(session, user, current="correct horse battery", new=NEW_PASSWORD, now=T0)
    assert user.check_password(NEW_PASSWORD) and user.session_generation == generation + 1
    assert events(session, user) == [("password_changed", user.id, "web")]


def test_the_account_audit_trail_is_append_only(session, world):
    user = world.user("acme_user")
    services.deactivate_user(session, world.user("admin"), user, now=T0, channel="web")
    event = session.scalar(select(AccountEvent).where(AccountEvent.user_id == user.id))
    event.kind = "nothing"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()


def test_each_action_is_logged_with_actor_and_target(session, world, caplog):
    admin, user = world.user("admin"), world.user("acme_user")
    with caplog.at_level("INFO", logger="casemgr.accounts"):
        services.deactivate_user(session, admin, user, now=T0, channel="api")
    [line] = [r.getMessage() for r in caplog.records if r.name == "casemgr.accounts"]
    assert (
        line
        == f"deactivated: root@vendor.example.com (user {admin.id}) on user@acme.example.com (user {user.id}) via api"
    )


def test_logging_out_ends_the_sessions_without_making_an_administrators_page_stale(session, world):
    user = world.user("acme_user")
    generation, version = user.session_generation, user.version
    selfservice.end_sessions(session, user, now=T0)
    session.expire_all()
    assert (user.session_generation, user.version) == (generation + 1, version)
    services.update_user(
        session, world.user("admin"), user, expected_version=version, role="customer_admin", now=T0, channel="web"
    )
    assert events(session, user)[0] == ("logged_out", user.id, "web")


def test_a_link_is_spent_once_even_when_two_requests_hold_it_at_the_same_moment(app, session, world):
    from casemgr.accounts import links
    from casemgr.db import new_session

    user = world.user("acme_user")
    token = links.issue_link(session, user, "reset", T0, None)
    session.commit()
    other = new_session(app)
    try:
        first, second = links.check_link(session, token, T0), links.check_link(other, token, T0)
        assert first.state == second.state == "valid"
        assert links.consume(session, first.link, T0) is True
        session.flush()
        assert links.consume(session, second.link, T0) is False
    finally:
        other.close()
