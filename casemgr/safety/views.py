from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required

from casemgr.auth.policy import visible_organizations
from casemgr.db import get_session
from casemgr.errors import NotFoundError
from casemgr.safety.models import CHANNELS
from casemgr.safety.queries import BlockFilter, blocks, blocks_csv, corrections, rule_codes
from casemgr.web import actor

bp = Blueprint("safety", __name__, url_prefix="/safety")


@bp.get("/blocks")
@login_required
def list_blocks():
    session = get_session()
    flt = BlockFilter.from_args(request.args)
    try:
        rows = blocks(session, actor(), flt)
        fixed = corrections(session, actor(), flt)
    except NotFoundError:
        abort(404)
    return render_template("safety/blocks.html", rows=rows, corrections=fixed, flt=flt, rules=rule_codes(session),
                           channels=CHANNELS, organizations=visible_organizations(session, actor()))


@bp.get("/blocks.csv")
@login_required
def export_blocks():
    try:
        rows = blocks(get_session(), actor(), BlockFilter.from_args(request.args), limit=100_000)
    except NotFoundError:
        abort(404)
    return Response(blocks_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=safety-blocks.csv"})
