"""The daily digest: one e-mail per day to each user with notifications held for it.

A user who chose "daily digest" for a kind sees its in-app messages at once; their
e-mails wait (``held_for_digest``) until the first scheduler tick of the next digest
time (07:00 in the user's own zone: casemgr.timezones), when one e-mail gathers them all. The day's
:class:`~casemgr.notifications.models.NotificationDigest` row is the claim: with several
schedulers running, each user still gets one digest a day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casemgr.auth.models import User
from casemgr.notifications.models import Notification, NotificationDigest
from casemgr.registry import registry_of
from casemgr.timezones import zone_name_for

log = logging.getLogger(__name__)

#: Digests go out from this time of day, in each user's zone.
SEND_FROM = time(7, 0)
#: One message's body in a digest is cut to this many characters (the case page has it whole).
ITEM_CHARS = 2000


def _held(user_id: int | None = None):
    stmt = select(Notification).where(
        Notification.held_for_digest.is_(True),
        Notification.digested_at.is_(None),
        Notification.channel == "in_app",
    )
    return stmt if user_id is None else stmt.where(Notification.user_id == user_id)


def compose(user: User, items: list[Notification]) -> tuple[str, str]:
    """The digest's subject and text: the held messages grouped by case, oldest first."""
    by_case: dict[int | None, list[Notification]] = defaultdict(list)
    for item in items:
        by_case[item.case_id].append(item)
    zone = ZoneInfo(zone_name_for(user))
    subject = f"Your daily digest: {len(items)} update{'s' if len(items) != 1 else ''}"
    if len(by_case) > 1 or None not in by_case:
        subject += f" on {len(by_case)} case{'s' if len(by_case) != 1 else ''}"
    parts = [f"Hello {user.name},", "", "Here is what happened on the cases you follow since your last digest.", ""]
    for group in by_case.values():
        for item in group:
            parts.append(f"== {item.subject}  ({item.created_at.astimezone(zone):%Y-%m-%d %H:%M %Z})")
            text = item.body.strip()
            parts.append(text if len(text) <= ITEM_CHARS else text[:ITEM_CHARS] + " [...]")
            parts.append("")
    parts.append("Change how you hear about cases on your settings page: /settings")
    return subject, "\n".join(parts) + "\n"


def send_daily_digests(factory: sessionmaker[Session], now: datetime) -> int:
    """Send the digests that are due (07:00 or later on the user's own clock, once per
    local day); returns how many were queued."""
    with factory() as session:
        waiting = set(
            session.scalars(
                select(Notification.user_id)
                .distinct()
                .where(
                    Notification.held_for_digest.is_(True),
                    Notification.digested_at.is_(None),
                    Notification.created_at <= now,
                )
            )
        )
        due: dict[int, date] = {}
        for user in session.scalars(select(User).where(User.id.in_(sorted(i for i in waiting if i is not None)))):
            local = now.astimezone(ZoneInfo(zone_name_for(user)))
            if local.time() >= SEND_FROM:
                due[user.id] = local.date()
        done = {
            (user_id, day)
            for user_id, day in session.execute(
                select(NotificationDigest.user_id, NotificationDigest.day).where(
                    NotificationDigest.user_id.in_(sorted(due)), NotificationDigest.day.in_(sorted(set(due.values())))
                )
            )
        }
    sent = 0
    for user_id, day in sorted(due.items()):
        if (user_id, day) in done:
            continue
        with factory() as session:
            if _send_one(session, user_id, day, now):
                sent += 1
    return sent


def _send_one(session: Session, user_id: int, day: date, now: datetime) -> bool:
    user = session.get(User, user_id)
    if user is None:
        return False
    claim = NotificationDigest(user_id=user_id, day=day, items=0, sent_at=now)
    session.add(claim)
    try:
        session.flush()
    except IntegrityError:  # another scheduler sent this user's digest today
        session.rollback()
        return False
    items = list(
        session.scalars(
            _held(user_id).where(Notification.created_at <= now).order_by(Notification.created_at, Notification.id)
        )
    )
    if not items:
        session.rollback()
        return False
    subject, body = compose(user, items)
    if user.is_active:
        session.add(
            Notification(
                user_id=user.id,
                email=user.email,
                channel="email",
                kind="digest",
                subject=subject[:300],
                body=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.execute(
        update(Notification)
        .where(Notification.id.in_([i.id for i in items]))
        .values(digested_at=now)
        .execution_options(synchronize_session=False)
    )
    claim.items = len(items)
    session.commit()
    log.info("daily digest of %s notifications queued for %s", len(items), user.email)
    return True


def digest_tick(app: Flask, now: datetime) -> None:
    """The scheduler's tick job (registered by the app factory)."""
    send_daily_digests(registry_of(app).db.write_session_factory, now)
