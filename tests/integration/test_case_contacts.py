"""Who hears what: every customer-visible vendor change reaches the customer contacts, every
customer reply reaches the vendor side, nobody hears of their own action; preferences per
kind (immediately, daily digest, in-app only; Severity 1 always immediate); the digest job
once a day on the injected clock. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casemgr.cases import comments, commitments, opening, services, watchers
from casemgr.cases.models import CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ForbiddenError, NotFoundError
from casemgr.notifications.digest import send_daily_digests
from casemgr.notifications.models import Notification, NotificationDigest
from casemgr.notifications.preferences import set_preferences
from casemgr.registry import registry_of
from tests.integration.conftest import T0


def received(session, user, case=None, channel="in_app") -> list[Notification]:
    """What ``user`` was sent (after the acknowledgement of the opening)."""
    stmt = select(Notification).where(
        Notification.user_id == user.id, Notification.channel == channel, Notification.kind.is_not(None)
    )
    if case is not None:
        stmt = stmt.where(Notification.case_id == case.id)
    return list(session.scalars(stmt.order_by(Notification.id)))


def open_acme_case(session, world, store, *, severity=2, by="acme_admin"):
    return opening.open_case(
        session,
        world.user(by),
        store,
        asset_serial="ACME-001",
        severity=severity,
        subject="Array slow",
        description="Latency is high since this morning",
        now=T0,
    )


@pytest.fixture
def case(session, world, store):
    """An Acme case opened by the Acme admin, the Acme user watching, owned by the engineer."""
    case = open_acme_case(session, world, store)
    watchers.add_watcher(session, world.user("acme_admin"), case, user_id=world.user("acme_user").id, now=T0)
    eng = world.user("engineer")
    services.assign_owner(session, eng, case, owner_id=eng.id, expected_version=None, now=T0)
    return case


def _kinds(session, user, case):
    return [(n.kind, n.subject) for n in received(session, user, case)]


def test_a_vendor_public_reply_reaches_opener_and_watchers_never_the_engineer_who_wrote_it(session, world, store, case):
    eng, admin, user = world.user("engineer"), world.user("acme_admin"), world.user("acme_user")
    before = {u.id: len(received(session, u, case)) for u in (eng, admin, user)}
    comments.add_comment(session, eng, store, case, body="Please send the controller logs.", public=True, now=T0)
    for who in (admin, user):
        [note] = received(session, who, case)[before[who.id] :]
        assert note.kind == "reply" and note.subject == f"[{case.number}] {eng.name} replied: Array slow"
        assert "Please send the controller logs." in note.body and f"/cases/{case.number}" in note.body
        [mail] = [m for m in received(session, who, case, "email") if m.kind == "reply"]
        assert mail.status == "pending" and mail.email == who.email and mail.body == note.body
    assert len(received(session, eng, case)) == before[eng.id], "the author is not told of their own reply"
    # An internal note tells nobody on the customer side.
    comments.add_comment(session, eng, store, case, body="Looks like firmware", public=False, now=T0)
    assert [len(received(session, u, case)) for u in (admin, user)] == [before[admin.id] + 1, before[user.id] + 1]
    # Another organisation's admin hears nothing.
    assert received(session, world.user("globex_admin")) == []


def test_a_customer_reply_reaches_the_owner_and_the_other_watchers_not_its_writer(session, world, store, case):
    eng, admin, user = world.user("engineer"), world.user("acme_admin"), world.user("acme_user")
    services.change_status(
        session, eng, case, new_status="waiting_customer", expected_version=None, now=T0, note="Logs please"
    )
    before = {u.id: len(received(session, u, case)) for u in (eng, admin, user)}
    comments.add_comment(session, user, store, case, body="Logs attached.", public=True, now=T0)
    [to_owner] = received(session, eng, case)[before[eng.id] :]
    assert to_owner.subject == f"[{case.number}] {user.name} (Acme) replied: Array slow"
    assert "Logs attached." in to_owner.body
    [to_admin] = received(session, admin, case)[before[admin.id] :]
    assert to_admin.kind == "reply"
    assert len(received(session, user, case)) == before[user.id]
    # The reply resumed the case: that is in the timeline, but the reply itself was the only notice.
    assert case.status == "in_progress"
    assert not any(n.kind == "status" for n in received(session, eng, case)[before[eng.id] :])


def test_an_unowned_case_s_customer_reply_reaches_its_tier_queue_or_the_managers(session, world, store):
    case = open_acme_case(session, world, store)
    admin, manager = world.user("acme_admin"), world.user("manager")
    comments.add_comment(session, admin, store, case, body="Any news?", public=True, now=T0)
    # Nobody works L1 yet: the support managers hear it, nobody else on the vendor side.
    assert [n.kind for n in received(session, manager, case)] == ["reply"]
    assert received(session, world.user("engineer"), case) == []
    world.user("engineer2").tier = "L1"
    session.commit()
    comments.add_comment(session, admin, store, case, body="Still slow.", public=True, now=T0)
    assert [n.kind for n in received(session, world.user("engineer2"), case)] == ["reply"]
    assert len(received(session, manager, case)) == 1
    assert received(session, world.user("engineer"), case) == []  # tier not set: not in the L1 queue


def test_status_changes_read_in_plain_words_on_the_timeline_and_in_the_notice(session, world, store, case):
    eng, admin = world.user("engineer"), world.user("acme_admin")
    # Taking ownership moved it new -> in progress: "We are working on it".
    assert [s for k, s in _kinds(session, admin, case) if k == "status"] == [
        f"[{case.number}] We are working on it: Array slow"
    ]
    services.change_status(
        session, eng, case, new_status="waiting_customer", expected_version=None, now=T0, note="Send the logs"
    )
    services.change_status(
        session, eng, case, new_status="resolved", expected_version=None, now=T0, note="Firmware 4.2 fixes it"
    )
    bodies = session.scalars(
        select(CaseEvent.body).where(CaseEvent.case_id == case.id, CaseEvent.kind == "status_changed")
    ).all()
    assert bodies == [
        "We are working on it (was: new).\ntaken by an engineer",
        "Waiting for your reply (was: in progress).\nSend the logs",
        "Resolved, please confirm (was: waiting on customer).\nFirmware 4.2 fixes it",
    ]
    resolved = received(session, admin, case)[-1]
    assert resolved.subject == f"[{case.number}] Resolved, please confirm: Array slow"
    assert "Firmware 4.2 fixes it" in resolved.body and eng.name in resolved.body
    assert not any(n.kind == "status" for n in received(session, eng, case))
    # The customer confirms: the owner hears it, the customer does not hear of their own confirmation.
    mine = len(received(session, admin, case))
    services.confirm_resolution(session, admin, case, expected_version=None, now=T0)
    assert received(session, eng, case)[-1].subject == f"[{case.number}] Closed: Array slow"
    assert len(received(session, admin, case)) == mine


def test_a_severity_change_says_why_and_severity_1_mails_at_once_even_in_a_digest(session, world, store, case):
    eng, admin = world.user("engineer"), world.user("acme_admin")
    set_preferences(session, admin, {"severity": "digest", "reply": "in_app"}, T0)
    services.change_severity(session, eng, case, severity=1, expected_version=None, now=T0, reason="Production is down")
    event = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "severity_changed")
    ).one()
    assert event.body == "Raised from severity 2 (high) to severity 1 (critical). Reason: Production is down"
    assert (event.data["from"], event.data["to"]) == (2, 1)
    note = received(session, admin, case)[-1]
    assert note.subject == f"[{case.number}] Severity raised to 1: Array slow" and not note.held_for_digest
    assert "Production is down" in note.body
    mails = [m for m in received(session, admin, case, "email") if m.kind == "severity"]
    assert len(mails) == 1, "Severity 1: the digest preference is overridden"
    # On a Severity 1 case the in-app-only preference is overridden too.
    comments.add_comment(session, eng, store, case, body="Engineer joining the bridge", public=True, now=T0)
    assert [m.kind for m in received(session, admin, case, "email")].count("reply") == 1


def test_each_preference_mode_decides_the_mail_and_in_app_always_appears(session, world, store, case):
    eng = world.user("engineer")
    admin, user = world.user("acme_admin"), world.user("acme_user")
    set_preferences(session, admin, {"reply": "digest"}, T0)
    set_preferences(session, user, {"reply": "in_app"}, T0)
    comments.add_comment(session, eng, store, case, body="Update one", public=True, now=T0)
    a, u = received(session, admin, case)[-1], received(session, user, case)[-1]
    assert (a.kind, a.held_for_digest, u.kind, u.held_for_digest) == ("reply", True, "reply", False)
    assert not [m for m in received(session, admin, case, "email") if m.kind == "reply"]
    assert not [m for m in received(session, user, case, "email") if m.kind == "reply"]
    # Other kinds keep their own mode (immediate by default).
    services.change_status(session, eng, case, new_status="waiting_customer", expected_version=None, now=T0)
    assert [m.kind for m in received(session, admin, case, "email")].count("status") == 2


def test_the_daily_digest_goes_once_a_day_with_what_was_held(session, world, store, case, app, clock):
    eng, admin = world.user("engineer"), world.user("acme_admin")
    admin.timezone = "UTC"  # the digest time is the user's own 07:00 (see test_time_zones.py)
    set_preferences(session, admin, {"reply": "digest", "commitment": "digest"}, T0)
    comments.add_comment(session, eng, store, case, body="First update", public=True, now=T0)
    comments.add_comment(session, eng, store, case, body="Second update", public=True, now=T0 + timedelta(hours=1))
    factory = registry_of(app).db.write_session_factory

    def digests():
        session.expire_all()
        return list(session.scalars(select(Notification).where(Notification.kind == "digest")))

    assert send_daily_digests(factory, T0 + timedelta(hours=2)) == 1  # 11:00 UTC, after 07:00
    [mail] = digests()
    assert (mail.user_id, mail.channel, mail.status, mail.email) == (admin.id, "email", "pending", admin.email)
    assert mail.subject == "Your daily digest: 2 updates on 1 case"
    assert "First update" in mail.body and "Second update" in mail.body and f"/cases/{case.number}" in mail.body
    assert all(n.digested_at is not None for n in received(session, admin, case) if n.held_for_digest)
    # Something new the same day waits for tomorrow: the job runs every tick, one digest a day.
    comments.add_comment(session, eng, store, case, body="Third update", public=True, now=T0 + timedelta(hours=3))
    assert send_daily_digests(factory, T0 + timedelta(hours=4)) == 0
    assert send_daily_digests(factory, T0 + timedelta(hours=20)) == 0  # 05:00 next day: before 07:00
    assert len(digests()) == 1
    assert send_daily_digests(factory, T0 + timedelta(hours=22)) == 1  # 07:00 the next day
    assert send_daily_digests(factory, T0 + timedelta(hours=23)) == 0
    latest = digests()[-1]
    assert "Third update" in latest.body and "First update" not in latest.body
    assert session.scalar(select(func.count()).select_from(NotificationDigest)) == 2
    # The tick job registered through the registry is this job.
    from casemgr.notifications.digest import digest_tick

    assert digest_tick in registry_of(app).tick_jobs


def test_commitments_recorded_kept_and_missed_each_reach_the_customer_once(session, world, store, case, app):
    eng, admin = world.user("engineer"), world.user("acme_admin")
    due = T0 + timedelta(hours=2)
    first = commitments.record_commitment(
        session,
        eng,
        case,
        description="Call back with the analysis",
        recipient="Ana",
        owner_id=eng.id,
        due_at=due,
        now=T0,
    )
    note = received(session, admin, case)[-1]
    assert note.subject == f"[{case.number}] Commitment: Call back with the analysis: Array slow"
    assert "2026-11-02 06:00 EST (America/New_York)" in note.body  # due 11:00 UTC, in the site's time
    commitments.mark_kept(session, eng, case, first.id, T0 + timedelta(hours=1))
    assert received(session, admin, case)[-1].subject.startswith(f"[{case.number}] Commitment kept: Call back")
    second = commitments.record_commitment(
        session, eng, case, description="Ship the part today", recipient="Ana", owner_id=eng.id, due_at=due, now=T0
    )
    assert commitments.announce_missed(session, due) == 0, "not missed at its due time"
    assert commitments.announce_missed(session, due + timedelta(minutes=1)) == 1
    assert commitments.announce_missed(session, due + timedelta(minutes=2)) == 0, "told once"
    missed = received(session, admin, case)[-1]
    assert missed.subject == f"[{case.number}] Commitment missed: Ship the part today: Array slow"
    assert "We did not keep a commitment" in missed.body and "due 2026-11-02 06:00 EST" in missed.body
    assert [n.kind for n in received(session, eng, case)].count("commitment") == 1  # the miss (not his own acts)
    session.refresh(second)
    assert second.status == "open" and second.missed_at is not None  # the ladder still follows it
    entry = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "commitment_missed")
    ).one()
    assert entry.public and "Ship the part today" in entry.body


def test_the_actor_is_never_told_and_other_tenants_never_hear(session, world, store, case):
    """Every kind at once: the engineer does it all, so he hears nothing; Globex hears nothing."""
    eng = world.user("engineer")
    comments.add_comment(session, eng, store, case, body="Looking", public=True, now=T0)
    services.change_status(session, eng, case, new_status="waiting_vendor", expected_version=None, now=T0)
    services.change_severity(session, eng, case, severity=3, expected_version=None, now=T0, reason="Workaround")
    commitments.record_commitment(
        session,
        eng,
        case,
        description="Call",
        recipient="Ana",
        owner_id=eng.id,
        due_at=T0 + timedelta(hours=1),
        now=T0,
    )
    assert received(session, eng, case) == []
    assert received(session, world.user("globex_admin")) == []
    assert {n.kind for n in received(session, world.user("acme_user"), case)} == {
        "watching",  # the admin added them as a watcher
        "reply",
        "status",
        "severity",
        "commitment",
    }


def test_watchers_follow_the_tenancy_rules_with_an_audit_entry(session, world, store, case):
    admin, eng = world.user("acme_admin"), world.user("engineer")
    with pytest.raises(CaseRuleError, match="No active user admin@globex.example.com in your organisation"):
        watchers.add_watcher(session, admin, case, email="admin@globex.example.com", now=T0)
    session.rollback()
    with pytest.raises(CaseRuleError, match="in your organisation"):  # vendor staff: not found for a customer
        watchers.add_watcher(session, admin, case, email="eng2@vendor.example.com", now=T0)
    session.rollback()
    with pytest.raises(CaseRuleError, match="already watches"):
        watchers.add_watcher(session, admin, case, email="USER@acme.example.com", now=T0)
    session.rollback()
    # Support staff may add vendor staff; the customer does not see that entry.
    watchers.add_watcher(session, eng, case, email="eng2@vendor.example.com", now=T0)
    with pytest.raises(CaseRuleError, match="cannot read this case"):
        watchers.add_watcher(session, eng, case, email="admin@globex.example.com", now=T0)
    session.rollback()
    with pytest.raises(CaseRuleError, match="cannot read this case"):
        watchers.add_watcher(session, eng, case, email="field@vendor.example.com", now=T0)
    session.rollback()
    # A customer cannot name (so cannot remove) vendor watchers; the account manager may watch himself only.
    with pytest.raises(NotFoundError):
        watchers.remove_watcher(session, admin, case, email="eng2@vendor.example.com", now=T0)
    session.rollback()
    am = world.user("account")
    with pytest.raises(ForbiddenError):
        watchers.add_watcher(session, am, case, email="user@acme.example.com", now=T0)
    session.rollback()
    watchers.add_watcher(session, am, case, user_id=am.id, now=T0)
    watchers.remove_watcher(session, admin, case, user_id=world.user("acme_user").id, now=T0)
    names = [w.user.email for w in watchers.watchers_of(session, case)]
    assert names == ["am@vendor.example.com", "eng2@vendor.example.com"]
    audit = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(("watcher_added", "watcher_removed")))
        .order_by(CaseEvent.id)
    ).all()
    assert [(e.kind, e.public, e.body) for e in audit] == [
        ("watcher_added", True, "Admin added User as a watcher."),
        ("watcher_added", False, f"{eng.name} added {world.user('engineer2').name} as a watcher."),
        ("watcher_added", False, f"{am.name} started watching the case."),
        ("watcher_removed", True, "Admin removed User as a watcher."),
    ]
    # The vendor watcher now hears customer replies, the removed watcher no longer hears vendor replies.
    comments.add_comment(session, admin, store, case, body="Hello", public=True, now=T0)
    assert received(session, world.user("engineer2"), case)[-1].kind == "reply"
    before = len(received(session, world.user("acme_user"), case))
    comments.add_comment(session, eng, store, case, body="Hi", public=True, now=T0)
    assert len(received(session, world.user("acme_user"), case)) == before


def test_known_addresses_in_cc_become_watchers(session, world, store):
    case = open_acme_case(session, world, store)
    added = watchers.add_watchers_by_email(
        session,
        case,
        ["User@Acme.example.com", "admin@acme.example.com", "admin@globex.example.com", "nobody@x.example", "bad"],
        T0,
    )
    session.commit()
    assert [u.email for u in added] == ["user@acme.example.com"]  # the opener is a contact already
    assert watchers.add_watchers_by_email(session, case, ["user@acme.example.com"], T0) == []
    entry = session.scalars(select(CaseEvent).where(CaseEvent.kind == "watcher_added")).one()
    assert entry.actor_id is None and entry.body == "User added as a watcher from the Cc: of an e-mail."


def test_rma_moves_tell_the_customer_with_tracking_link_and_the_visit_in_site_time(session, world, failed_case):
    from rma import services as rma_services

    eng, admin = world.user("engineer"), world.user("acme_admin")
    services.assign_owner(session, eng, failed_case, owner_id=eng.id, expected_version=None, now=T0)
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    rma = rma_services.open_rma(
        session,
        eng,
        failed_case,
        component_id=bay2.id,
        kind="advance_replacement",
        disposition="return",
        problem="Drive failed",
        now=T0,
    )
    rma_services.ship_replacement(session, eng, rma, carrier="UPS", tracking="1Z 99/A", now=T0)
    subjects = [n.subject for n in received(session, admin, failed_case) if n.kind == "rma"]
    assert sorted(subjects) == sorted(
        [
            f"[{failed_case.number}] RMA-000001 replacement requested: Bay 2 failed",
            f"[{failed_case.number}] RMA-000001 approved: Bay 2 failed",
            f"[{failed_case.number}] RMA-000001 replacement shipped: Bay 2 failed",
        ]
    )
    shipped = received(session, admin, failed_case)[-1]
    assert "via UPS, tracking 1Z 99/A" in shipped.body
    assert "https://www.ups.com/track?tracknum=1Z%2099%2FA" in shipped.body
    assert received(session, eng, failed_case) == []


def test_a_dispatch_names_the_window_in_the_site_s_zone(session, world, failed_case):
    from rma import dispatch as rma_dispatch
    from rma import services as rma_services

    world.premium.onsite = True
    session.commit()
    eng, admin = world.user("engineer"), world.user("acme_admin")
    world.acme_asset.site.region = "us-east"
    session.commit()
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    rma = rma_services.open_rma(
        session,
        eng,
        failed_case,
        component_id=bay2.id,
        kind="onsite_dispatch",
        disposition="return",
        problem="Drive failed",
        now=T0,
    )
    rma_services.ship_replacement(session, eng, rma, carrier="FedEx", tracking="77", now=T0)
    rma_services.deliver_replacement(session, eng, rma, now=T0)
    rma_dispatch.schedule_dispatch(
        session,
        eng,
        rma,
        engineer_id=world.user("field").id,
        window_start=T0 + timedelta(hours=21),
        window_end=T0 + timedelta(hours=23),
        now=T0,
    )
    note = received(session, admin, failed_case)[-1]
    assert note.subject == f"[{failed_case.number}] RMA-000001 field engineer dispatched: Bay 2 failed"
    assert "on 2026-11-03 01:00-03:00 EST (site time, America/New_York)" in note.body


def test_subjects_carry_no_line_breaks(session, world, store):
    case = open_acme_case(session, world, store)
    eng = world.user("engineer")
    eng.name = "Eve\r\nBcc: victim@example.com"
    session.commit()
    comments.add_comment(session, eng, store, case, body="Hi", public=True, now=T0)
    [note] = received(session, world.user("acme_admin"), case)
    assert "\n" not in note.subject and "\r" not in note.subject
    assert note.subject == f"[{case.number}] Eve Bcc: victim@example.com replied: Array slow"
