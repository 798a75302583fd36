"""Admin pages for the catalogue and the plans: parts, products (with end of support) and
support plans (targets in hours and minutes, entitlements, the plain "included / not
included" text the customer reads on their contract). Same services as the API."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from casemgr.admin import editing
from casemgr.admin import services as admin
from casemgr.admin.forms import PartForm, PlanForm, ProductForm, version_of
from casemgr.admin.targets import CLOCK_LABELS, CLOCKS, SEVERITIES, spoken
from casemgr.admin.views import admin_only, invalid
from casemgr.assets.models import Part, Product
from casemgr.contracts.models import SupportPlan
from casemgr.db import get_session
from casemgr.forms import options
from casemgr.web import form_action, now

bp = Blueprint("admin_catalogue", __name__, url_prefix="/admin")

PART_FIELDS = ("description", "kind", "data_bearing", "customer_replaceable")
PLAN_FIELDS = ("name", "onsite", "advance_replacement", "keep_your_drive", "included", "not_included")


def _product_form(form: ProductForm | None = None) -> ProductForm:
    form = form or ProductForm()
    parts = get_session().scalars(select(Part).order_by(Part.part_number))
    form.compatible_parts.choices = options((p.part_number, f"{p.part_number} — {p.description}") for p in parts)
    return form


def _catalogue_page(part: PartForm | None = None, product: ProductForm | None = None, error=None, status=200):
    session = get_session()
    return render_template(
        "admin/catalogue.html",
        parts=list(session.scalars(select(Part).order_by(Part.part_number))),
        products=list(session.scalars(select(Product).order_by(Product.model))),
        part_form=part or PartForm(),
        product_form=_product_form(product),
        error=error,
    ), status


@bp.get("/catalogue")
@login_required
def catalogue():
    admin_only()
    return _catalogue_page()


@bp.post("/parts")
@login_required
def create_part():
    user = admin_only()
    form = PartForm()
    if not form.validate():
        return _catalogue_page(part=form, error=invalid(form), status=400)

    def created():
        values = {k: form[k].data for k in PART_FIELDS}
        part = admin.create_part(
            get_session(), user, part_number=form.data["part_number"], now=now(), channel="web", **values
        )
        flash(f"Part {part.part_number} added.", "info")
        return redirect(url_for("admin_catalogue.catalogue") + "#parts", 303)

    return form_action(created, lambda exc: _catalogue_page(part=form, error=str(exc)))


@bp.route("/parts/<id:part_id>", methods=["GET", "POST"])
@login_required
def part(part_id: int):
    user, part = admin_only(), get_session().get(Part, part_id)
    if part is None:
        abort(404)
    form = PartForm() if PartForm().is_submitted() else PartForm(obj=part, version=part.version)
    form.part_number.data = part.part_number  # the part number is its identity: not edited
    if not form.is_submitted():
        return render_template("admin/part.html", part=part, form=form)
    if not form.validate():
        return render_template("admin/part.html", part=part, form=form, error=invalid(form)), 400

    def saved():
        values = {k: form[k].data for k in PART_FIELDS}
        editing.update_part(get_session(), user, part, version=version_of(form), now=now(), channel="web", **values)
        flash(f"Part {part.part_number} saved.", "info")
        return redirect(url_for("admin_catalogue.catalogue") + "#parts", 303)

    return form_action(
        saved,
        lambda exc: render_template(
            "admin/part.html", part=get_session().get(Part, part_id), form=form, error=str(exc)
        ),
    )


@bp.post("/products")
@login_required
def create_product():
    user = admin_only()
    form = _product_form()
    if not form.validate():
        return _catalogue_page(product=form, error=invalid(form), status=400)

    def created():
        product = admin.create_product(
            get_session(),
            user,
            model=form.data["model"],
            product_line=form.data["product_line"].strip(),
            end_of_support_on=form.end_of_support_on.data,
            compatible_parts=form.compatible_parts.data or [],
            now=now(),
            channel="web",
        )
        flash(f"Product {product.model} added.", "info")
        return redirect(url_for("admin_catalogue.catalogue") + "#products", 303)

    return form_action(created, lambda exc: _catalogue_page(product=form, error=str(exc)))


@bp.route("/products/<id:product_id>", methods=["GET", "POST"])
@login_required
def product(product_id: int):
    user, product = admin_only(), get_session().get(Product, product_id)
    if product is None:
        abort(404)
    if ProductForm().is_submitted():
        form = _product_form()
    else:
        form = _product_form(ProductForm(obj=product, version=product.version))
        form.compatible_parts.data = [p.part_number for p in product.compatible_parts]
        return render_template("admin/product.html", product=product, form=form)
    form.model.data = product.model  # the model name is its identity: not edited
    if not form.validate():
        return render_template("admin/product.html", product=product, form=form, error=invalid(form)), 400

    def saved():
        editing.update_product(
            get_session(),
            user,
            product,
            version=version_of(form),
            now=now(),
            channel="web",
            product_line=form.product_line.data,
            end_of_support_on=form.end_of_support_on.data,
            compatible_parts=form.compatible_parts.data or [],
        )
        flash(f"Product {product.model} saved.", "info")
        return redirect(url_for("admin_catalogue.catalogue") + "#products", 303)

    def refused(exc):
        return render_template(
            "admin/product.html", product=get_session().get(Product, product_id), form=form, error=str(exc)
        )

    return form_action(saved, refused)


def _plans_page(form: PlanForm | None = None, error: str | None = None, status: int = 200):
    plans = get_session().scalars(select(SupportPlan).order_by(SupportPlan.name))
    return render_template(
        "admin/plans.html", plans=list(plans), form=form or PlanForm(), error=error, **_target_names()
    ), status


def _target_names() -> dict:
    return {"severities": SEVERITIES, "clocks": CLOCKS, "clock_labels": CLOCK_LABELS, "spoken": spoken}


@bp.get("/support-plans")
@login_required
def plans():
    admin_only()
    return _plans_page()


def _weekly_hours(form: PlanForm) -> dict:
    if form.always.data:
        return {}
    return {day: [[(form.opens.data or "").strip(), (form.closes.data or "").strip()]] for day in form.days.data or []}


@bp.post("/support-plans")
@login_required
def create_plan():
    user = admin_only()
    form = PlanForm()
    if not form.validate():
        return _plans_page(form, invalid(form), 400)

    def created():
        plan = admin.create_plan(
            get_session(),
            user,
            code=form.data["code"],
            targets=form.targets(),
            always=form.always.data,
            weekly_hours=_weekly_hours(form),
            holidays=[],
            timezone=(form.timezone.data or "").strip() or None,
            now=now(),
            channel="web",
            **{k: form[k].data for k in PLAN_FIELDS},
        )
        flash(f"Plan {plan.name} created.", "info")
        return redirect(url_for("admin_catalogue.plan", plan_id=plan.id), 303)

    return form_action(created, lambda exc: _plans_page(form, str(exc)))


def _plan_page(plan: SupportPlan, form: PlanForm, error: str | None = None, status: int = 200):
    return render_template("admin/plan.html", plan=plan, form=form, error=error, **_target_names()), status


@bp.route("/support-plans/<id:plan_id>", methods=["GET", "POST"])
@login_required
def plan(plan_id: int):
    user, plan = admin_only(), get_session().get(SupportPlan, plan_id)
    if plan is None:
        abort(404)
    form = PlanForm()
    if not form.is_submitted():
        form = PlanForm(obj=plan, version=plan.version)
        form.show_targets(plan.targets)
        return _plan_page(plan, form)
    form.code.data = plan.code  # the code is the plan's identity: not edited here
    if not form.validate():
        return _plan_page(plan, form, invalid(form), 400)

    def saved():
        editing.update_plan(
            get_session(),
            user,
            plan,
            version=version_of(form),
            now=now(),
            channel="web",
            targets=form.targets(),
            **{k: form[k].data for k in PLAN_FIELDS},
        )
        flash(f"Plan {plan.name} saved; open cases on it were re-timed.", "info")
        return redirect(url_for("admin_catalogue.plan", plan_id=plan.id), 303)

    return form_action(saved, lambda exc: _plan_page(plan, form, str(exc)))
