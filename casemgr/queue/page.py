"""The queue page (``/cases/``, the cases blueprint's ``list_cases``): what each row shows."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, render_template

from casemgr.auth import policy
from casemgr.auth.roles import TIERS, can_open_cases
from casemgr.cases import services
from casemgr.cases.queries import QueueFilter, case_queue
from casemgr.db import get_session
from casemgr.queue import saved_views
from casemgr.queue.rules import KIND_LABELS, urgency
from casemgr.web import actor, now


def render_queue(args, *, error: str = "", view_name: str = ""):
    """The queue for the filters in ``args``; ``error`` and ``view_name`` after a refused form
    (the saved-view and bulk forms of casemgr.queue.views: the page keeps what was typed)."""
    session, user, at = get_session(), actor(), now()
    vendor = not user.is_customer
    flt = QueueFilter.from_args(args, vendor=vendor)
    page = case_queue(session, user, flt, current_app.config["PAGE_SIZE"], at)
    return render_template(
        "cases/list.html",
        page=page,
        flt=flt,
        organizations=policy.organization_choices(session, user),
        can_open=can_open_cases(user.role),
        vendor=vendor,
        urgency=lambda c: urgency(c.next_due_at, c.at_risk_at, at),
        saved=saved_views.views_of(session, user) if vendor else [],
        current_view=args.get("view", type=int),
        error=error,
        view_name=view_name,
        engineers=services.case_workers(session) if user.works_cases else [],
        query=urlencode(flt.to_args() | ({"page": str(flt.page)} if flt.page > 1 else {})),
        KIND_LABELS=KIND_LABELS,
        TIERS=TIERS,
    )
