"""A readable API reference rendered on the server from the generated OpenAPI document."""

from flask import Blueprint, render_template

from casemgr.registry import registry_of

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs")
def reference():
    spec = registry_of().api.spec.to_dict()
    return render_template("api/docs.html", spec=spec)
