from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from casemgr.assets.forms import InstallForm, MarkForm
from casemgr.assets.queries import asset_coverage, assets_with_coverage
from casemgr.assets.services import install_component, mark_component
from casemgr.auth.policy import organization_choices
from casemgr.auth.roles import CASE_WORKER_ROLES, Role
from casemgr.db import get_session
from casemgr.errors import DomainError, SafetyRefused
from casemgr.forms import options
from casemgr.web import actor, form_action, now

bp = Blueprint("assets", __name__, url_prefix="/assets")


@bp.get("/")
@login_required
def list_assets():
    session = get_session()
    org_id = request.args.get("org", type=int)
    serial = request.args.get("serial", "")[:64]
    rows = assets_with_coverage(session, actor(), now().date(), serial_prefix=serial, organization_id=org_id)
    return render_template(
        "assets/list.html",
        rows=rows,
        serial=serial,
        org_id=org_id,
        organizations=organization_choices(session, actor()),
    )


def _render_asset(row, status: int = 200, install: InstallForm | None = None, error: str | None = None, refusals=()):
    asset = row.asset
    install = install or InstallForm()
    install.slot.choices = options((c.slot, c.slot) for c in asset.installed_components)
    install.part_number.choices = options(
        (p.part_number, f"{p.part_number} — {p.description}") for p in asset.product.compatible_parts
    )
    return render_template(
        "assets/show.html",
        row=row,
        install=install,
        mark=MarkForm(),
        error=error,
        refusals=refusals,
        can_change=actor().role in CASE_WORKER_ROLES or actor().role == Role.FIELD_ENGINEER,
    ), status


def _row_or_404(serial: str):
    """The asset and its coverage; ``NotFoundError`` (404) if the user may not see it."""
    return asset_coverage(get_session(), actor(), serial, now().date())


def _refused(serial: str, exc: DomainError, **forms):
    """The asset page again after a refusal, read afresh (a safety refusal has recorded itself)."""
    return _render_asset(
        _row_or_404(serial),
        error=f"Not recorded: {exc}" if isinstance(exc, SafetyRefused) else str(exc),
        refusals=getattr(exc, "refusals", ()),
        **forms,
    )


@bp.get("/<serial>")
@login_required
def show_asset(serial: str):
    return _render_asset(_row_or_404(serial))


@bp.post("/<serial>/install")
@login_required
def install(serial: str):
    """Record a part going in; the safety guard refuses failed or quarantined serials."""
    row = _row_or_404(serial)
    session = get_session()
    form = InstallForm()
    form.slot.choices = options((c.slot, c.slot) for c in row.asset.installed_components)
    form.part_number.choices = options((p.part_number, p.part_number) for p in row.asset.product.compatible_parts)
    if not form.validate():
        return _render_asset(row, 400, install=form, error="Check the installation form.")

    def installed():
        part_serial = form.serial.data or ""
        install_component(
            session,
            actor(),
            row.asset,
            slot=form.slot.data,
            part_number=form.part_number.data,
            serial=part_serial,
            now=now(),
        )
        flash(f"Installed {part_serial.strip().upper()} in {form.slot.data}.", "info")
        return redirect(url_for("assets.show_asset", serial=serial))

    return form_action(installed, lambda exc: _refused(serial, exc, install=form))


@bp.post("/<serial>/components/<id:component_id>/state")
@login_required
def mark(serial: str, component_id: int):
    row = _row_or_404(serial)
    component = next((c for c in row.asset.components if c.id == component_id), None)
    form = MarkForm()
    if component is None:
        abort(404)
    if not form.validate():
        return _render_asset(row, 400, error="Choose a state.")

    def marked():
        mark_component(get_session(), actor(), component, form.state.data, now())
        return redirect(url_for("assets.show_asset", serial=serial))

    return form_action(marked, lambda exc: _refused(serial, exc))
