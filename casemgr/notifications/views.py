from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from casemgr.db import get_session
from casemgr.notifications import outbox
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
