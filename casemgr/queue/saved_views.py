"""Saved queue views: a user's named filters and sort, listed as tabs on the queue."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from casemgr.auth.models import User
from casemgr.cases.queries import QueueFilter
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import NotFoundError
from casemgr.queue.models import SavedView

log = logging.getLogger(__name__)

MAX_NAME = 60
#: A user keeps at most this many views (tabs).
MAX_VIEWS = 20


def views_of(session: Session, user: User) -> list[SavedView]:
    return list(session.scalars(select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)))


def save_view(session: Session, user: User, *, name: str, flt: QueueFilter, now: datetime) -> SavedView:
    """Save ``flt`` under ``name``; a view of the same name is replaced (the user's own only)."""
    name = " ".join((name or "").split())
    if not name:
        raise CaseRuleError("Give the view a name.")
    if len(name) > MAX_NAME:
        raise CaseRuleError(f"The name is too long (at most {MAX_NAME} characters).")
    query = urlencode(flt.to_args())
    view = session.scalar(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name))
    if view is None:
        count = session.scalar(select(func.count()).select_from(SavedView).where(SavedView.user_id == user.id)) or 0
        if count >= MAX_VIEWS:
            raise CaseRuleError(f"You have {MAX_VIEWS} saved views already: delete one first.")
        view = SavedView(user_id=user.id, name=name, query=query, created_at=now)
        session.add(view)
    else:
        view.query = query
    session.commit()
    log.info("user %s saved queue view %s", user.id, view.id)
    return view


def delete_view(session: Session, user: User, view_id: int) -> None:
    """Delete one of the user's own views; another user's answers not found."""
    result = session.execute(delete(SavedView).where(SavedView.id == view_id, SavedView.user_id == user.id))
    if not getattr(result, "rowcount", 0):
        raise NotFoundError("No such saved view.")
    session.commit()
    log.info("user %s deleted queue view %s", user.id, view_id)


def view_filter(view: SavedView) -> QueueFilter:
    """The filter a saved view stands for (as parsed today: an outdated key is ignored)."""
    from urllib.parse import parse_qsl

    return QueueFilter.from_args(MultiDict(parse_qsl(view.query)))
