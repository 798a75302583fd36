"""The weekly digest to each account manager, on the escalation scheduler's tick.

Idempotent: a :class:`reports.models.DigestLog` row per manager and ISO week is
inserted in the same transaction as the e-mail; a second scheduler's insert
fails on the unique key and rolls its copy back.
"""

from __future__ import annotations

import logging
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.notifications.services import notify
from casemgr.registry import registry_of
from reports import rules
from reports.models import DigestLog
from reports.queries import digest

log = logging.getLogger(__name__)
#: Sent from Monday 07:00 UTC: the week's first tick after that.
SEND_FROM = time(7, 0)


def digest_tick(app, now: datetime) -> None:
    sent = send_weekly_digests(registry_of(app).db.write_session_factory, now)
    if sent:
        log.info("weekly digest sent to %s account managers", sent)


def send_weekly_digests(factory: sessionmaker[Session], now: datetime) -> int:
    if now.weekday() == 0 and now.time() < SEND_FROM:
        return 0
    week = rules.iso_week_key(now)
    sent = 0
    with factory() as session:
        managers = [
            u.id
            for u in session.scalars(select(User).where(User.role == Role.ACCOUNT_MANAGER).order_by(User.id))
            if u.is_active
        ]
        done = set(session.scalars(select(DigestLog.manager_id).where(DigestLog.iso_week == week)))
    for manager_id in managers:
        if manager_id in done:
            continue
        with factory() as session:
            manager = session.get(User, manager_id)
            if manager is None:
                continue  # gone since the list was read
            session.add(DigestLog(manager_id=manager.id, iso_week=week, sent_at=now))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                continue
            subject, body = compose(session, manager, now, week)
            notify(session, [manager], subject=subject, body=body, now=now)
            session.commit()
            sent += 1
    return sent


def compose(session: Session, manager: User, now: datetime, week: str) -> tuple[str, str]:
    parts = digest(session, manager, now)
    high = sum(len(p.high_severity) for p in parts)
    breached = sum(p.breached_open for p in parts)
    escalations = sum(p.escalations for p in parts)
    lines = [
        f"Your partners this week ({week}): {high} open Severity 1-2 cases, {breached} open cases with a "
        f"breached SLA, {escalations} escalations in the last 7 days.",
        "",
    ]
    for p in parts:
        lines.append(
            f"{p.organization.name}: {len(p.high_severity)} open S1-2, {p.breached_open} breached, "
            f"{p.escalations} escalations"
        )
        for case, state in p.high_severity:
            due = f", next due {state.next_due:%Y-%m-%d %H:%M} UTC" if state.next_due else ""
            lines.append(
                f"  {case.number} S{case.severity} {case.status.replace('_', ' ')} — {case.subject} "
                f"[{state.label}{due}]"
            )
        lines.append("")
    subject = f"Weekly account digest {week}: {high} open S1-2, {breached} breached, {escalations} escalations"
    return subject, "\n".join(lines)
