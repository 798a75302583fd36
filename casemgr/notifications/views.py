from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from casemgr.db import get_session
from casemgr.notifications import outbox
from casemgr.notifications.preferences import KINDS, set_preferences
from casemgr.notifications.services import LONGEST_BACKOFF, inbox_with_cases, mark_all_read
from casemgr.web import actor, form_action, now

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    return render_template("notifications/index.html", items=inbox_with_cases(get_session(), actor()))


@bp.post("/read")
@login_required
def read_all():
    mark_all_read(get_session(), actor(), now())
    return redirect(url_for("notifications.index"))


def _render_outbox(error: str | None = None):
    state = outbox.outbox_state(get_session(), actor(), now())  # 404 for roles without this page
    return render_template("notifications/outbox.html", state=state, error=error, longest_backoff=LONGEST_BACKOFF)


@bp.get("/outbox")
@login_required
def outbox_page():
    return _render_outbox()


@bp.post("/outbox/<id:notification_id>/retry")
@login_required
def outbox_retry(notification_id: int):
    def run():
        row = outbox.retry_now(get_session(), actor(), notification_id, now())
        flash(f"E-mail {row.id} to {row.email} will be sent on the next delivery pass.", "info")
        return redirect(url_for("notifications.outbox_page"))

    return form_action(run, lambda exc: _render_outbox(exc.message))


@bp.post("/outbox/<id:notification_id>/discard")
@login_required
def outbox_discard(notification_id: int):
    def run():
        row = outbox.discard(get_session(), actor(), notification_id, now())
        flash(f"E-mail {row.id} to {row.email} discarded: it will not be sent.", "info")
        return redirect(url_for("notifications.outbox_page"))

    return form_action(run, lambda exc: _render_outbox(exc.message))


@bp.post("/preferences")
@login_required
def preferences():
    """The settings page's "How you hear about cases" form: one mode per kind."""
    from casemgr.auth.tokens import tokens_of
    from casemgr.auth.views import settings_page

    session = get_session()
    wanted = {kind: request.form.get(f"mode_{kind}", "") for kind in KINDS if f"mode_{kind}" in request.form}

    def saved():
        set_preferences(session, actor(), wanted, now())
        flash("Notification preferences saved.", "info")
        return redirect(url_for("auth.settings"))

    def refused(exc):
        return settings_page(tokens_of(session, actor()), None, preferences_error=str(exc))

    return form_action(saved, refused)
