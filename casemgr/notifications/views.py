from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required

from casemgr.db import get_session
from casemgr.notifications.services import inbox, mark_all_read
from casemgr.web import actor, now

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
