"""Pure reporting rules: SLA state, urgency order, periods and buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from reports import rules
from reports.rules import AT_RISK, BREACHED, ON_TRACK, Period, SlaClocks

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def clocks(**kw) -> SlaClocks:
    base = dict(
        created_at=T0,
        first_response_due_at=T0 + timedelta(hours=4),
        first_response_at=None,
        first_response_breached=False,
        next_update_due_at=None,
        next_update_breaches=0,
        resolution_due_at=T0 + timedelta(hours=24),
        resolution_breached=False,
        sla_paused_at=None,
    )
    return SlaClocks(**(base | kw))


def test_on_track_then_at_risk_then_breached_as_the_clock_moves():
    c = clocks()
    assert rules.sla_state(c, T0).state == ON_TRACK
    assert rules.sla_state(c, T0).next_due == T0 + timedelta(hours=4)
    assert rules.sla_state(c, T0 + timedelta(hours=2, minutes=59)).state == ON_TRACK
    assert rules.sla_state(c, T0 + timedelta(hours=3)).state == AT_RISK  # 25% of 4 h left
    assert rules.sla_state(c, T0 + timedelta(hours=4)).state == BREACHED


def test_a_short_target_is_at_risk_within_thirty_minutes():
    c = clocks(first_response_due_at=T0 + timedelta(minutes=15))
    assert rules.sla_state(c, T0).state == AT_RISK


def test_answered_first_response_moves_the_next_due_to_the_other_clocks():
    c = clocks(first_response_at=T0 + timedelta(minutes=5), next_update_due_at=T0 + timedelta(hours=8))
    assert rules.sla_state(c, T0 + timedelta(hours=5)).next_due == T0 + timedelta(hours=8)


def test_a_recorded_breach_stays_breached_and_pause_stops_the_clock():
    assert rules.sla_state(clocks(next_update_breaches=1), T0).state == BREACHED
    paused = clocks(sla_paused_at=T0 + timedelta(hours=1))
    state = rules.sla_state(paused, T0 + timedelta(days=3))
    assert state.state == ON_TRACK and state.paused and state.next_due is None
    assert rules.sla_state(clocks(first_response_due_at=None, resolution_due_at=None), T0).state == ON_TRACK


def test_urgency_breached_then_at_risk_then_severity_then_due():
    now = T0 + timedelta(hours=3, minutes=30)
    entries = {
        "s3-breached": (rules.sla_state(clocks(first_response_due_at=T0 + timedelta(hours=1)), now), 3),
        "s1-on-track": (rules.sla_state(clocks(first_response_due_at=T0 + timedelta(hours=12)), now), 1),
        "s2-at-risk": (rules.sla_state(clocks(), now), 2),
        "s1-at-risk": (rules.sla_state(clocks(first_response_due_at=T0 + timedelta(hours=3, minutes=50)), now), 1),
    }
    order = sorted(entries, key=lambda k: rules.urgency_key(entries[k][0], entries[k][1], T0))
    assert order == ["s3-breached", "s1-at-risk", "s2-at-risk", "s1-on-track"]


def test_period_bounds_weeks_and_months():
    p = Period(date(2026, 7, 1), date(2026, 9, 30))
    assert p.start_at == datetime(2026, 7, 1, tzinfo=UTC)
    assert p.end_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert p.contains(datetime(2026, 9, 30, 23, 59, tzinfo=UTC))
    assert not p.contains(datetime(2026, 10, 1, tzinfo=UTC))
    assert p.weeks()[0] == date(2026, 6, 29) and p.weeks()[-1] == date(2026, 9, 28)
    assert p.months() == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]


def test_parse_period_falls_back_to_the_last_90_days():
    today = date(2026, 11, 24)
    assert rules.parse_period("2026-07-01", "2026-09-30", today) == Period(date(2026, 7, 1), date(2026, 9, 30))
    default = Period(date(2026, 8, 26), today)
    assert rules.parse_period("nonsense", None, today) == default
    assert rules.parse_period("2026-09-30", "2026-07-01", today) == default
    assert rules.parse_period("2020-01-01", "2026-01-01", today) == default


def test_iso_week_and_commitment_missed():
    assert rules.iso_week_key(T0) == "2026-W45"
    assert rules.iso_week_key(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"
    due = T0
    assert rules.commitment_missed("open", due, None, T0 + timedelta(minutes=1))
    assert not rules.commitment_missed("open", due, None, T0 - timedelta(minutes=1))
    assert rules.commitment_missed("kept", due, T0 + timedelta(minutes=1), T0)
    assert not rules.commitment_missed("kept", due, T0, T0 + timedelta(days=1))
    assert rules.commitment_missed("missed", due, None, T0)
    assert not rules.commitment_missed("withdrawn", due, None, T0 + timedelta(days=1))
