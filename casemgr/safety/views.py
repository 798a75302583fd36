from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from casemgr.auth.policy import organization_choices
from casemgr.db import get_session
from casemgr.safety.models import CHANNELS
from casemgr.safety.queries import BlockFilter, blocks, blocks_csv, corrections, rule_codes
from casemgr.web import actor

bp = Blueprint("safety", __name__, url_prefix="/safety")


@bp.get("/blocks")
@login_required
def list_blocks():
    session = get_session()
    flt = BlockFilter.from_args(request.args)
    rows = blocks(session, actor(), flt)  # NotFoundError (404) for roles without this page
    fixed = corrections(session, actor(), flt)
    return render_template(
        "safety/blocks.html",
        rows=rows,
        corrections=fixed,
        flt=flt,
        rules=rule_codes(session),
        channels=CHANNELS,
        organizations=organization_choices(session, actor()),
    )


@bp.get("/blocks.csv")
@login_required
def export_blocks():
    rows = blocks(get_session(), actor(), BlockFilter.from_args(request.args), limit=100_000)
    return Response(
        blocks_csv(rows), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=safety-blocks.csv"}
    )
