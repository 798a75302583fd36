"""GET /metrics: the casemgr_* series with their labels, counted where things happen and
read from the database at scrape time; and who may read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select

from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.channels.mail import ingest
from casemgr.channels.mail_routing import MailSettings
from casemgr.channels.models import WebhookDelivery, WebhookEndpoint
from casemgr.metrics.access import MetricsAccess
from casemgr.notifications.models import Notification
from casemgr.notifications.services import notify
from casemgr.registry import registry_of
from escalation.models import EscalationSchedule
from escalation.scheduler import tick
from tests.factories import create_case
from tests.web.test_safety_pages import ENGINEER, UNSAFE, number  # noqa: F401 - the fixture

#: Every series a scrape shows, whatever happened before (the database gauges and families
#: with no samples yet still have their # TYPE line).
SERIES = {
    "casemgr_http_request_duration_seconds": "histogram",
    "casemgr_escalation_firings": "counter",
    "casemgr_safety_blocks": "counter",
    "casemgr_mail_ingested": "counter",
    "casemgr_scheduler_pass_duration_seconds": "histogram",
    "casemgr_scheduler_failures": "counter",
    "casemgr_outbox_depth": "gauge",
    "casemgr_outbox_oldest_age_seconds": "gauge",
    "casemgr_escalation_lag_seconds": "gauge",
    "casemgr_metrics_database_up": "gauge",
}


def scrape(app, **kw) -> dict[str, dict[tuple, float]]:
    """{family name: {(sample name, sorted labels): value}} of one GET /metrics."""
    response = app.test_client().get("/metrics", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/plain"
    families: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        samples = families.setdefault(family.name, {})
        samples["type"] = family.type  # type: ignore[assignment]
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return families


def value(families, family: str, sample: str, **labels) -> float:
    return families.get(family, {}).get((sample, tuple(sorted(labels.items()))), 0.0)


def test_every_series_is_named_casemgr_and_typed(app):
    families = scrape(app)
    assert all(name.startswith("casemgr_") for name in families), sorted(families)
    for name, kind in SERIES.items():
        assert families[name]["type"] == kind, name


def test_requests_are_timed_by_endpoint_method_and_status_never_by_path(app, world, web):
    client = web("admin@acme.example.com")
    before = scrape(app)
    client.get("/cases/")
    client.get("/cases/CS-999999")  # a number, in the path, that must not become a label
    app.test_client().get("/no/such/page/123")
    after = scrape(app)
    family, count = "casemgr_http_request_duration_seconds", "casemgr_http_request_duration_seconds_count"

    def grew(**labels) -> float:
        return value(after, family, count, **labels) - value(before, family, count, **labels)

    assert grew(endpoint="cases.list_cases", method="GET", status="200") == 1
    assert grew(endpoint="cases.show_case", method="GET", status="404") == 1
    assert grew(endpoint="unmatched", method="GET", status="404") == 1
    labels = {dict(key[1]).get("endpoint") for key in after[family] if key != "type"}
    assert not any("/" in (e or "") for e in labels), labels
    bucket = ("casemgr_http_request_duration_seconds_bucket", "+Inf")
    assert any(k[0] == bucket[0] and ("le", bucket[1]) in k[1] for k in after[family] if k != "type")


def test_outbox_depth_and_oldest_age_are_read_from_the_database_by_channel(app, session, world, clock):
    notify(session, [world.user("engineer"), world.user("acme_admin")], subject="s", body="b", now=clock.now())
    session.commit()
    endpoint = WebhookEndpoint(
        organization_id=world.acme.id,
        url="https://hooks.example.com/x",
        secret="s" * 32,
        created_by_id=world.user("acme_admin").id,
        created_at=clock.now(),
    )
    session.add(endpoint)
    session.flush()
    for status, age in (("pending", 300), ("sent", 9000), ("failed", 9000)):
        at = clock.now() - timedelta(seconds=age)
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_type="case.opened",
                body="{}",
                status=status,
                next_attempt_at=at,
                created_at=at,
            )
        )
    session.commit()
    clock.advance(timedelta(minutes=10))
    pending_email = session.scalars(
        select(Notification).where(Notification.status == "pending", Notification.channel == "email")
    ).all()
    families = scrape(app)
    assert value(families, "casemgr_outbox_depth", "casemgr_outbox_depth", channel="email") == len(pending_email) == 2
    assert (
        value(families, "casemgr_outbox_oldest_age_seconds", "casemgr_outbox_oldest_age_seconds", channel="email")
        == 600
    )
    assert value(families, "casemgr_outbox_depth", "casemgr_outbox_depth", channel="webhook") == 1
    assert (
        value(families, "casemgr_outbox_oldest_age_seconds", "casemgr_outbox_oldest_age_seconds", channel="webhook")
        == 900
    )
    assert value(families, "casemgr_metrics_database_up", "casemgr_metrics_database_up") == 1


def test_escalation_lag_is_now_minus_the_oldest_due_check(app, session, world, clock):
    assert value(scrape(app), "casemgr_escalation_lag_seconds", "casemgr_escalation_lag_seconds") == 0
    overdue, upcoming = create_case(session, asset=world.acme_asset), create_case(session, asset=world.acme_asset)
    for case, next_at in ((overdue, clock.now() - timedelta(minutes=15)), (upcoming, clock.now() + timedelta(hours=1))):
        session.merge(EscalationSchedule(case_id=case.id, next_check_at=next_at, updated_at=clock.now()))
    session.commit()
    assert value(scrape(app), "casemgr_escalation_lag_seconds", "casemgr_escalation_lag_seconds") == 900


def test_a_scheduler_pass_counts_its_firings_and_its_duration(app, session, world, clock):
    from escalation.defaults import seed_default_ladders

    seed_default_ladders(session)
    session.commit()
    create_case(session, asset=world.acme_asset, severity=1)
    before = scrape(app)
    clock.advance(timedelta(days=2))  # every step of the severity 1 ladder is due by now
    tick(app)
    after = scrape(app)
    fired = sum(
        value(after, "casemgr_escalation_firings", "casemgr_escalation_firings_total", timing=t)
        - value(before, "casemgr_escalation_firings", "casemgr_escalation_firings_total", timing=t)
        for t in ("on_time", "late")
    )
    from escalation.models import EscalationFiring

    assert fired == len(session.scalars(select(EscalationFiring)).all()) > 0
    passes = "casemgr_scheduler_pass_duration_seconds_count"
    assert value(after, "casemgr_scheduler_pass_duration_seconds", passes) == (
        value(before, "casemgr_scheduler_pass_duration_seconds", passes) + 1
    )


def test_a_safety_block_is_counted_by_channel_and_action_once_recorded(app, number, web):  # noqa: F811
    before = scrape(app)
    assert (
        web(ENGINEER).post(f"/cases/{number}/reply", data={"body": UNSAFE, "visibility": "public"}).status_code == 422
    )
    after = scrape(app)
    grown = {
        dict(key[1])["channel"]: after["casemgr_safety_blocks"][key]
        - before.get("casemgr_safety_blocks", {}).get(key, 0)
        for key in after["casemgr_safety_blocks"]
        if key != "type" and key[0] == "casemgr_safety_blocks_total"
    }
    grown = {channel: n for channel, n in grown.items() if n}  # earlier tests' channels stay as they were
    assert grown == {"public_reply": 1}


def test_each_ingested_mail_is_counted_by_its_outcome(app, session, world, clock, tmp_path):
    message = (
        b"From: stranger@elsewhere.example.net\r\nTo: support@casemgr.example.com\r\n"
        b"Subject: hello\r\nMessage-ID: <metrics-1@elsewhere.example.net>\r\n\r\nIs anyone there?\r\n"
    )
    before = scrape(app)
    store = LocalAttachmentStore(str(tmp_path / "files"), 1 << 20)
    first = ingest(session, message, store, clock.now(), MailSettings.from_config(app.config))
    again = ingest(session, message, store, clock.now(), MailSettings.from_config(app.config))
    after = scrape(app)
    assert again.action == "duplicate"
    for outcome in {first.action, "duplicate"}:
        sample = ("casemgr_mail_ingested", "casemgr_mail_ingested_total")
        assert value(after, *sample, outcome=outcome) == value(before, *sample, outcome=outcome) + 1


@pytest.mark.parametrize(
    ("address", "headers", "token", "allowed"),
    [
        ("127.0.0.1", {}, "", True),  # the default: a direct request from this host
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, "", False),  # through a proxy on this host
        ("203.0.113.9", {}, "", False),
        ("203.0.113.9", {"Authorization": "Bearer s3cret-token"}, "s3cret-token", True),
        ("203.0.113.9", {"Authorization": "Bearer wrong"}, "s3cret-token", False),
        ("127.0.0.1", {"Authorization": "Bearer wrong"}, "s3cret-token", False),  # a wrong token is no way in
    ],
)
def test_only_this_host_or_the_token_holder_reads_the_metrics(app, address, headers, token, allowed):
    registry = registry_of(app)
    saved = registry.metrics_access
    registry.metrics_access = MetricsAccess.from_config({"METRICS_TOKEN": token})
    try:
        response = app.test_client().get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    finally:
        registry.metrics_access = saved
    assert response.status_code == (200 if allowed else 404)
    assert ("casemgr_" in response.get_data(as_text=True)) is allowed


def test_the_gauges_are_read_through_the_partial_due_indexes(app, session):
    """The scrape's queries read the pending rows through the senders' partial indexes and
    the escalation schedule through its due index: never a scan of the whole table."""
    from casemgr.metrics.database import pending_email, pending_webhooks
    from escalation.metrics import oldest_due_check

    dialect = session.get_bind().dialect.name
    sent = [
        {
            "channel": "email",
            "subject": "s",
            "body": "",
            "status": "sent",
            "attempts": 1,
            "created_at": t,
            "next_attempt_at": t,
        }
        for t in [registry_of(app).clock.now()] * 20000
    ]
    session.execute(insert(Notification), sent)
    compiled = [
        str(q.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
        for q in (pending_email(), pending_webhooks())
    ]
    compiled.append("SELECT min(next_check_at) FROM escalation_schedule WHERE next_check_at IS NOT NULL")
    assert oldest_due_check(session) is None
    from sqlalchemy import text

    wanted = ("ix_notification_due", "ix_webhook_delivery_due", "ix_escalation_schedule_due")
    if dialect == "postgresql":
        session.execute(text("ANALYZE notification"))
        plans = [list(session.execute(text(f"EXPLAIN {sql}")).scalars()) for sql in compiled]
        for plan, index in zip(plans, wanted, strict=True):
            assert any(index in line for line in plan) and not any("Seq Scan" in line for line in plan), plan
    else:
        plans = [[str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))] for sql in compiled]
        for plan, index in zip(plans, wanted, strict=True):
            scans = [line for line in plan if line.startswith(("SCAN", "SEARCH"))]
            assert scans and all(
                f"USING INDEX {index}" in line or f"COVERING INDEX {index}" in line for line in scans
            ), plan
