from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from casemgr.assets.queries import asset_coverage, assets_with_coverage
from casemgr.auth.policy import visible_organizations
from casemgr.db import get_session
from casemgr.errors import NotFoundError
from casemgr.web import actor, now

bp = Blueprint("assets", __name__, url_prefix="/assets")


@bp.get("/")
@login_required
def list_assets():
    session = get_session()
    org_id = request.args.get("org", type=int)
    serial = request.args.get("serial", "")[:64]
    rows = assets_with_coverage(session, actor(), now().date(), serial_prefix=serial, organization_id=org_id)
    return render_template("assets/list.html", rows=rows, serial=serial, org_id=org_id,
                           organizations=visible_organizations(session, actor()))


@bp.get("/<serial>")
@login_required
def show_asset(serial: str):
    try:
        row = asset_coverage(get_session(), actor(), serial, now().date())
    except NotFoundError:
        abort(404)
    return render_template("assets/show.html", row=row)
