"""How each user hears about each kind of case change: immediately, in a daily digest,
or in-app only. Severity 1 is always immediate. In-app messages always appear at once.

The rule (:func:`email_delivery`) is pure; the rest reads and writes the preferences."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.errors import InvalidInput
from casemgr.notifications.models import NotificationPreference

log = logging.getLogger(__name__)

#: The kinds of case notification a user chooses for, with what each covers.
KINDS: Mapping[str, str] = {
    "reply": "Replies on a case",
    "status": "Status changes and resolutions",
    "severity": "Severity changes",
    "commitment": "Commitments recorded, kept or missed",
    "rma": "Replacement parts, shipments and engineer visits",
    "watching": "Watchers added or removed, cases assigned to you",
}

MODES: Mapping[str, str] = {
    "immediate": "E-mail immediately",
    "digest": "Daily digest e-mail",
    "in_app": "In-app only",
}
DEFAULT_MODE = "immediate"


def email_delivery(mode: str, severity: int | None) -> str:
    """``"now"``, ``"digest"`` or ``"none"``: what happens to the e-mail of a notification
    for a user with ``mode``. A Severity 1 case always mails at once, whatever the mode."""
    if severity == 1 or mode not in MODES:
        return "now"
    return {"immediate": "now", "digest": "digest", "in_app": "none"}[mode]


def modes_of(session: Session, user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each user's mode for ``kind`` (one query; users without a row are immediate)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(NotificationPreference.user_id, NotificationPreference.mode).where(
            NotificationPreference.user_id.in_(ids), NotificationPreference.kind == kind
        )
    )
    found = {user_id: mode for user_id, mode in rows}
    return {i: found.get(i, DEFAULT_MODE) for i in ids}


def preferences_of(session: Session, user: User) -> dict[str, str]:
    """Every kind with the user's mode for it."""
    rows = session.execute(
        select(NotificationPreference.kind, NotificationPreference.mode).where(
            NotificationPreference.user_id == user.id
        )
    )
    found = {kind: mode for kind, mode in rows}
    return {kind: found.get(kind, DEFAULT_MODE) for kind in KINDS}


def check_preferences(wanted: Mapping[str, object]) -> dict[str, str]:
    """The requested modes, or :class:`InvalidInput` naming each unknown kind or mode."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for kind, mode in wanted.items():
        if kind not in KINDS:
            errors[str(kind)[:40]] = [f"Unknown kind of notification; known: {', '.join(KINDS)}."]
        elif not isinstance(mode, str) or mode not in MODES:
            errors[kind] = [f"Choose one of: {', '.join(MODES)}."]
        else:
            clean[kind] = mode
    if errors:
        raise InvalidInput("Some notification preferences are not valid.", details=errors)
    return clean


def set_preferences(session: Session, actor: User, wanted: Mapping[str, object], now: datetime) -> dict[str, str]:
    """Change the actor's own modes (kinds not named keep theirs); returns all of them."""
    clean = check_preferences(wanted)
    existing = {
        p.kind: p
        for p in session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == actor.id))
    }
    for kind, mode in clean.items():
        row = existing.get(kind)
        if row is None:
            session.add(NotificationPreference(user_id=actor.id, kind=kind, mode=mode, updated_at=now))
        elif row.mode != mode:
            row.mode, row.updated_at = mode, now
    session.commit()
    if clean:
        log.info(
            "user %s set notification preferences %s",
            actor.email,
            ", ".join(f"{k}={v}" for k, v in sorted(clean.items())),
        )
    return preferences_of(session, actor)
