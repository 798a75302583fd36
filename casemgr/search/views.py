"""The search page (/search) and the header box's target: parse, search, render -- or go
straight to the one object an exact identifier names."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request
from flask_login import login_required

from casemgr.db import get_session
from casemgr.search import service
from casemgr.search.text import KINDS, MAX_QUERY_LENGTH, SearchInputError, parse_query
from casemgr.web import actor

bp = Blueprint("search", __name__)

KIND_LABELS = {"case": "Cases", "comment": "Comments", "asset": "Assets", "rma": "RMAs"}


@bp.get("/search")
@login_required
def results():
    typed, kind = request.args.get("q"), request.args.get("kind") or ""
    context = {"q": typed or "", "kind": kind, "kinds": KINDS, "labels": KIND_LABELS, "max_length": MAX_QUERY_LENGTH}
    if typed is None:
        return render_template("search/results.html", page=None, error=None, **context)
    try:
        query = parse_query(typed, kind)
        session, user = get_session(), actor()
        cursor = request.args.get("cursor")
        if not cursor:
            target = service.jump_target(session, user, query)
            if target is not None:
                return redirect(target)
        page = service.search(session, user, query, cursor)
    except SearchInputError as exc:
        return render_template("search/results.html", page=None, error=str(exc), **context), 422
    return render_template("search/results.html", page=page, error=None, **context)
