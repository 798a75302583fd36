"""Queue pages beyond the list itself: saved views, bulk actions, and the macros admin."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from casemgr.cases.queries import QueueFilter
from casemgr.cases.rules import STATUS_LABELS
from casemgr.db import get_session
from casemgr.errors import DomainError
from casemgr.queue import macros as macro_services
from casemgr.queue import saved_views
from casemgr.queue.bulk_actions import apply_bulk, parse_selection
from casemgr.queue.macro_rules import PLACEHOLDERS
from casemgr.queue.page import render_queue
from casemgr.queue.tiers import change_tier
from casemgr.versions import form_version
from casemgr.web import actor, case_or_404, form_action, now

bp = Blueprint("queue", __name__)


def _back_to_queue() -> ResponseReturnValue:
    """To the queue as it was (the filters travel in the form's ``back`` field, a query string)."""
    back = request.form.get("back", "")
    target = url_for("cases.list_cases")
    return redirect(f"{target}?{back}" if back and "\n" not in back and "\r" not in back else target, 303)


def _flash_refusal(exc: DomainError) -> ResponseReturnValue:
    flash(str(exc), "error")
    return _back_to_queue()


def _queue_refusal(exc: DomainError) -> ResponseReturnValue:
    """The queue as it was, with the reason (``form_action`` sets the error's status)."""
    args = MultiDict(parse_qsl(request.form.get("back", "")))
    return render_queue(args, error=str(exc))


@bp.post("/queue/bulk")
@login_required
def bulk():
    """Assign, move status or tier of the selected rows; each case through its own service."""
    user = actor()
    if not user.works_cases:
        abort(403)
    action = request.form.get("action", "")
    value = request.form.get(f"{action}_value", "") if action in ("owner", "status", "tier") else ""

    def run() -> ResponseReturnValue:
        result = apply_bulk(
            get_session(),
            user,
            parse_selection(request.form.getlist("case")),
            action=action,
            value=value,
            now=now(),
        )
        label = {"owner": "Owner", "status": "Status", "tier": "Tier"}[action]
        shown = STATUS_LABELS.get(value, value) if action == "status" else value
        if result.changed:
            flash(f"{label} changed on {len(result.changed)} case(s): {', '.join(result.changed)}.", "info")
        for number, reason in result.refused:
            flash(f"{number} not changed: {reason}", "error")
        if not result.changed and not result.refused:
            flash(f"Nothing to change ({label} {shown}).", "info")
        return _back_to_queue()

    return form_action(run, _queue_refusal)


@bp.post("/cases/<number>/tier")
@login_required
def change_case_tier(number: str):
    """Move the case to another tier from its page: a confirmation, or the page with the reason."""
    from casemgr.cases.views import render_refusal

    case = case_or_404(number)
    tier = request.form.get("tier", "")

    def run() -> ResponseReturnValue:
        version = form_version(request.form.get("version"), "case")
        change_tier(get_session(), actor(), case, tier=tier, expected_version=version, now=now())
        flash(f"Moved to the {tier} queue.", "info")
        return redirect(url_for("cases.show_case", number=case.number))

    return form_action(run, lambda exc: render_refusal(case, exc))


@bp.post("/queue/views")
@login_required
def save_view():
    user = actor()
    if user.is_customer:
        abort(403)
    flt = QueueFilter.from_args(request.form)

    def run() -> ResponseReturnValue:
        view = saved_views.save_view(get_session(), user, name=request.form.get("name", ""), flt=flt, now=now())
        flash(f"View “{view.name}” saved.", "info")
        return redirect(f"{url_for('cases.list_cases')}?{view.query}&view={view.id}", 303)

    def refused(exc: DomainError) -> ResponseReturnValue:
        return render_queue(MultiDict(flt.to_args()), error=str(exc), view_name=request.form.get("name", "")[:60])

    return form_action(run, refused)


@bp.post("/queue/views/<id:view_id>/delete")
@login_required
def delete_view(view_id: int):
    def run() -> ResponseReturnValue:
        saved_views.delete_view(get_session(), actor(), view_id)
        flash("View deleted.", "info")
        return redirect(url_for("cases.list_cases"), 303)

    return form_action(run, _flash_refusal)


def _macro_page(status: int = 200, *, editing=None, name: str = "", body: str = "", error: str = "", refusals=()):
    session = get_session()
    return render_template(
        "queue/macros.html",
        macros=macro_services.macros(session),
        editing=editing,
        name=name,
        body=body,
        error=error,
        refusals=list(refusals),
        placeholders=PLACEHOLDERS,
    ), status


def _macro_refused(exc: DomainError, editing=None):
    form = request.form
    return _macro_page(
        editing=editing,
        name=form.get("name", ""),
        body=form.get("body", ""),
        error=str(exc),
        refusals=getattr(exc, "refusals", ()),
    )


@bp.route("/admin/macros", methods=["GET", "POST"])
@login_required
def macros_page():
    user = actor()
    if user.role not in macro_services.MACRO_MANAGERS:
        abort(404 if user.is_customer else 403)
    if request.method == "GET":
        return _macro_page()

    def run() -> ResponseReturnValue:
        macro = macro_services.create_macro(
            get_session(), user, name=request.form.get("name", ""), body=request.form.get("body", ""), now=now()
        )
        flash(f"Macro “{macro.name}” saved.", "info")
        return redirect(url_for("queue.macros_page"), 303)

    return form_action(run, _macro_refused)


@bp.route("/admin/macros/<id:macro_id>", methods=["GET", "POST"])
@login_required
def edit_macro(macro_id: int):
    user = actor()
    if user.role not in macro_services.MACRO_MANAGERS:
        abort(404 if user.is_customer else 403)
    session = get_session()
    macro = macro_services.get_macro(session, macro_id)
    if request.method == "GET":
        return _macro_page(editing=macro, name=macro.name, body=macro.body)

    def run() -> ResponseReturnValue:
        saved = macro_services.update_macro(
            session,
            user,
            macro_id,
            name=request.form.get("name", ""),
            body=request.form.get("body", ""),
            expected_version=form_version(request.form.get("version"), "macro"),
            now=now(),
        )
        flash(f"Macro “{saved.name}” saved.", "info")
        return redirect(url_for("queue.macros_page"), 303)

    return form_action(run, lambda exc: _macro_refused(exc, macro_services.get_macro(get_session(), macro_id)))


@bp.post("/admin/macros/<id:macro_id>/delete")
@login_required
def delete_macro(macro_id: int):
    user = actor()
    if user.role not in macro_services.MACRO_MANAGERS:
        abort(404 if user.is_customer else 403)

    def run() -> ResponseReturnValue:
        macro_services.delete_macro(get_session(), user, macro_id)
        flash("Macro deleted.", "info")
        return redirect(url_for("queue.macros_page"), 303)

    return form_action(run, _flash_refusal)
