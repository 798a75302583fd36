"""A readable API reference rendered on the server from the generated OpenAPI document."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs")
def reference():
    spec = current_app.extensions["casemgr.api"].spec.to_dict()
    return render_template("api/docs.html", spec=spec)
