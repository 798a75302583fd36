from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from casemgr.db import get_session
from casemgr.notifications.preferences import KINDS, set_preferences
from casemgr.notifications.services import inbox, mark_all_read
from casemgr.web import actor, form_action, now

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    return render_template("notifications/index.html", items=inbox(get_session(), actor()))


@bp.post("/read")
@login_required
def read_all():
    mark_all_read(get_session(), actor(), now())
    return redirect(url_for("notifications.index"))


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
