"""The RMA panel on a case page and the open-RMA form it carries (form, confirmation, open).

Separate from the RMA pages (``rma.views``) because it lives on the case: ``case_panel`` is what
the registry shows on the case page, and ``open_rma`` is the route its form posts to, on the
same blueprint (``rma.open_rma``)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import select

from casemgr.auth import policy
from casemgr.auth.roles import CASE_WORKER_ROLES
from casemgr.db import get_session
from casemgr.web import actor, form_action, now
from rma import queries, rules, services
from rma.models import Rma
from rma.views import _id, bp

OPEN_FIELDS = ("component_id", "part_id", "kind", "disposition", "problem")


class _OpenArgs(TypedDict):
    """The keyword arguments ``services.check_open`` and ``services.open_rma`` share."""

    component_id: int | None
    part_id: int | None
    kind: str
    disposition: str | None
    problem: str
    now: datetime


def _open_form(session, case, at) -> dict:
    """What the open-RMA form offers: the asset's components (none preselected), parts, kinds."""
    ent, contract = services.entitlement_for(session, case, at)
    open_for = {
        r.failed_component_id
        for r in queries.part_history(session, case.asset_id)
        if r.state not in ("closed", "cancelled")
    }
    components = [c for c in case.asset.installed_components if c.state != "quarantined" and c.id not in open_for]
    return {
        "case": case,
        "ent": ent,
        "contract": contract,
        "kinds": rules.allowed_kinds(ent),
        "rules": rules,
        "components": components,
        "parts": services.compatible_parts(case),
    }


def _open_page(session, case, posted: dict, *, errors: dict | None = None, error: str | None = None, status: int = 200):
    return render_template(
        "rma/open.html", posted=posted, errors=errors or {}, error=error, **_open_form(session, case, now())
    ), status


@bp.post("/cases/<number>/rmas")
@login_required
def open_rma(number: str):
    """Three steps, no script: the form posts here and gets the confirmation page naming the
    component that will be marked failed; only its Confirm button (``confirm=yes``) opens the
    RMA; Back returns to the form with everything typed. Refusals keep the form filled in."""
    session, user = get_session(), actor()
    case = policy.get_case_for(session, user, number)
    if user.role not in CASE_WORKER_ROLES:
        abort(403)
    if case.asset is None:
        flash("RMA not opened: this case has no asset; attach one before opening an RMA.", "error")
        return redirect(url_for("cases.show_case", number=number)), 303
    form = request.form
    posted = {name: form.get(name, "") for name in OPEN_FIELDS}
    if form.get("back"):
        return _open_page(session, case, posted)
    args: _OpenArgs = {
        "component_id": _id(posted["component_id"]),
        "part_id": _id(posted["part_id"]),
        "kind": posted["kind"],
        "disposition": posted["disposition"] or None,
        "problem": posted["problem"],
        "now": now(),
    }

    def opened():
        if form.get("confirm") != "yes":
            plan = services.check_open(session, user, case, **args)
            return render_template("rma/confirm.html", case=case, plan=plan, posted=posted, rules=rules)
        rma = services.open_rma(session, user, case, **args)
        flash(
            f"{rma.number} opened: {rma.failed_component.slot} (SN {rma.failed_component.serial}) is marked failed.",
            "info",
        )
        return redirect(url_for("rma.show_rma", number=rma.number))

    def refused(exc):
        """The form again with what was typed: an incomplete one names each field that needs attention."""
        if isinstance(exc, services.OpenRmaRefused):
            return _open_page(session, case, posted, errors=exc.fields)
        return _open_page(session, case, posted, error=str(exc))

    return form_action(opened, refused)


def case_panel(session, user, case, at) -> Markup | None:
    """RMAs of the case, the asset's earlier part failures, and (support) the open-RMA form."""
    if case.asset is None:
        return None
    rmas = list(session.scalars(select(Rma).where(Rma.case_id == case.id, queries.rma_filter(user)).order_by(Rma.id)))
    history = [r for r in queries.part_history(session, case.asset_id) if r.case_id != case.id]
    repeats = queries.repeat_failures(session, case.asset_id)
    can_open = user.role in CASE_WORKER_ROLES and case.is_open
    if not (rmas or history or can_open):
        return None
    return Markup(
        render_template(
            "rma/panel.html",
            rmas=rmas,
            history=history,
            repeats=repeats,
            can_open=can_open,
            site_tz=case.asset.site.timezone,
            posted={},
            errors={},
            **_open_form(session, case, at),
        )
    )
