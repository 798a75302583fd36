"""Escalation pages: the case panel, customer requests, ladder and plan editing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup

from casemgr.admin import targets as targets_rules
from casemgr.auth.roles import Role
from casemgr.cases.rules import SEVERITY_DEFINITIONS
from casemgr.db import get_session
from casemgr.web import actor, case_form_action, case_or_404, form_action, now
from escalation import admin, queries
from escalation.forms import EscalationRequestForm, StepForm
from escalation.ladder import HIERARCHY
from escalation.services import Settings, escalation_path, request_escalation

bp = Blueprint("escalation", __name__)
CLOCKS = ("first_response", "next_update", "resolution")


def settings() -> Settings:
    return Settings.from_app()


def case_panel(session, user, case, at) -> Markup | None:
    """The customer sees who is next and when; the admin can ask for escalation."""
    path = escalation_path(session, case, at, settings()) if case.is_open else []
    can_request = user.role == Role.CUSTOMER_ADMIN and user.organization_id == case.organization_id and case.is_open
    return Markup(
        render_template(
            "escalation/panel.html",
            case=case,
            path=path,
            level=HIERARCHY,
            form=EscalationRequestForm() if can_request else None,
            site_tz=case.asset.site.timezone if case.asset else "UTC",
        )
    )


@bp.post("/cases/<number>/escalation-request")
@login_required
def request_case_escalation(number: str):
    case, form = case_or_404(number), EscalationRequestForm()
    return case_form_action(
        case,
        form,
        invalid="Tell us why you need escalation (at most 1000 characters).",
        run=lambda: request_escalation(
            get_session(), actor(), case, reason=form.reason.data or "", now=now(), settings=settings()
        ),
        done="Escalation requested: the duty manager and your account manager have been notified.",
    )


def _manager_only():
    if actor().role not in admin.MANAGERS:
        abort(403)


@bp.route("/admin/ladders", methods=["GET"])
@login_required
def ladders():
    _manager_only()
    return _ladders_page()


def _ladders_page(error: str | None = None, status: int = 200):
    """The ladders as saved; ``error`` is flashed above them (a refused edit)."""
    session = get_session()
    if error:
        flash(error, "error")
    plans = {p.id: p for p in queries.plans(session)}
    return render_template(
        "escalation/ladders.html", ladders=queries.ladders(session), plans=plans, form=StepForm(), level=HIERARCHY
    ), status


@bp.post("/admin/ladders/<id:ladder_id>/steps")
@bp.post("/admin/ladders/<id:ladder_id>/steps/<id:step_id>")
@login_required
def save_step(ladder_id: int, step_id: int | None = None):
    _manager_only()
    form = StepForm()
    if not form.validate():
        return _ladders_page(
            "Step not saved: " + "; ".join(f"{form[k].label.text}: {', '.join(v)}" for k, v in form.errors.items()), 400
        )
    values = {
        k: form[k].data
        for k in ("name", "condition", "offset_minutes", "offset_percent", "action", "target", "repeat_minutes")
    }

    def saved():
        admin.save_step(get_session(), actor(), ladder_id, step_id, values, now(), settings())
        flash("Ladder saved; open cases were re-timed.", "info")
        return redirect(url_for("escalation.ladders") + f"#ladder-{ladder_id}")

    return form_action(saved, lambda exc: _ladders_page(f"Step not saved: {exc}"))


@bp.post("/admin/steps/<id:step_id>/delete")
@login_required
def delete_step(step_id: int):
    _manager_only()

    def deleted():
        admin.delete_step(get_session(), actor(), step_id, now(), settings())
        return redirect(url_for("escalation.ladders"))

    return form_action(deleted, lambda exc: _ladders_page(str(exc)))


def _hours_and_minutes(name: str) -> int:
    """A target typed as hours (``name-h``) and minutes (``name-m``; either may be empty)."""
    hours, minutes = (request.form.get(f"{name}-{unit}", "").strip() or "0" for unit in ("h", "m"))
    if not (hours.isdigit() and minutes.isdigit()) or int(minutes) > 59:
        raise ValueError(name)
    return targets_rules.join(int(hours), int(minutes))


@bp.route("/admin/plans", methods=["GET", "POST"])
@login_required
def plans():
    _manager_only()
    session = get_session()
    all_plans = queries.plans(session)
    if request.method == "POST":
        try:
            plan_id = int(request.form["plan_id"])
            targets = {
                str(sev): {clock: _hours_and_minutes(f"{sev}-{clock}") for clock in CLOCKS}
                for sev in SEVERITY_DEFINITIONS
            }
        except (KeyError, ValueError):
            flash("Every target is whole hours and minutes (0 to 59).", "error")
            return render_template(
                "escalation/plans.html", plans=all_plans, clocks=CLOCKS, split=targets_rules.split
            ), 400

        def saved():
            admin.save_targets(session, actor(), plan_id, targets, now(), settings())
            flash("Targets saved; open cases on this plan were re-timed.", "info")
            return redirect(url_for("escalation.plans"))

        def refused(exc):
            flash(str(exc), "error")
            return render_template("escalation/plans.html", plans=all_plans, clocks=CLOCKS, split=targets_rules.split)

        return form_action(saved, refused)
    return render_template("escalation/plans.html", plans=all_plans, clocks=CLOCKS, split=targets_rules.split)
