"""/admin/assets/import: upload an asset CSV, watch its progress, read its per-line errors."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from casemgr.assets import import_jobs
from casemgr.assets.forms import ImportForm
from casemgr.assets.importer import REQUIRED
from casemgr.db import get_session
from casemgr.registry import registry_of
from casemgr.web import actor, form_action, now

bp = Blueprint("asset_import", __name__, url_prefix="/admin/assets/import")


def _page(form: ImportForm, error: str | None = None, status: int = 200):
    session = get_session()
    return render_template(
        "assets/import.html",
        form=form,
        error=error,
        jobs=import_jobs.recent_jobs(session, actor()),
        columns=REQUIRED,
    ), status


@bp.get("/")
@login_required
def upload_page():
    import_jobs.require_admin(actor())
    return _page(ImportForm())


@bp.post("/")
@login_required
def upload():
    import_jobs.require_admin(actor())
    form = ImportForm()
    if not form.validate():
        return _page(form, "The form expired; reload the page and upload again.", 400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(form, "Choose a CSV file to import.", 400)

    def started():
        job = import_jobs.start_import(
            get_session(), actor(), filename=upload.filename or "", data=upload.read(), now=now()
        )
        registry = registry_of()
        import_jobs.launch(registry.db, registry.clock, job.id)
        return redirect(url_for("asset_import.job_page", job_id=job.id), 303)

    return form_action(started, lambda exc: _page(form, str(exc)))


@bp.get("/<id:job_id>")
@login_required
def job_page(job_id: int):
    job = import_jobs.job_for(get_session(), actor(), job_id)
    return render_template("assets/import_job.html", job=job, form=ImportForm())


@bp.post("/<id:job_id>/retry")
@login_required
def retry(job_id: int):
    """Run a failed import again from the file it kept."""
    form = ImportForm()
    if not form.validate():
        return _page(form, "The form expired; reload the page and try again.", 400)

    def started():
        job = import_jobs.retry_import(get_session(), actor(), job_id, now=now())
        registry = registry_of()
        import_jobs.launch(registry.db, registry.clock, job.id)
        return redirect(url_for("asset_import.job_page", job_id=job.id), 303)

    return form_action(started, lambda exc: _page(form, str(exc)))


@bp.get("/<id:job_id>/status")
@login_required
def job_status(job_id: int):
    """What the page's script polls: the progress, and once finished, the outcome."""
    job = import_jobs.job_for(get_session(), actor(), job_id)
    return jsonify(
        status=job.status,
        total=job.total_rows,
        processed=job.processed_rows,
        imported=job.imported,
        components=job.components,
        errors=len(job.errors),
        finished=job.finished_at is not None,
    )
