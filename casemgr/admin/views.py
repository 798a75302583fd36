"""Admin pages for partners: organisations, their sites, contracts and account managers.

Thin: each route checks the role, validates the form's shape and calls one service
(``casemgr.admin.services`` / ``editing`` / ``account_managers``), as the API and the CLI
do. A refused form is shown again with what was typed and the reason (the error's status).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from casemgr.admin import account_managers, editing
from casemgr.admin import services as admin
from casemgr.admin.audit import partner_history
from casemgr.admin.forms import AccountManagerForm, ContractForm, OrganizationForm, SiteForm, version_of
from casemgr.assets.models import Asset
from casemgr.auth.roles import Role
from casemgr.contracts.models import Contract, SupportPlan
from casemgr.db import get_session
from casemgr.forms import options
from casemgr.organizations.models import Organization, Site
from casemgr.web import actor, form_action, now

bp = Blueprint("admin", __name__, url_prefix="/admin")

SITE_FIELDS = ("name", "address", "timezone", "region", "contact_name", "contact_phone")


def admin_only():
    """The admin pages are for administrators: anyone else gets 403, as from the API."""
    user = actor()
    if user.role != Role.ADMIN:
        abort(403)
    return user


def invalid(form) -> str:
    return "Not saved: " + "; ".join(f"{form[k].label.text}: {', '.join(v)}" for k, v in form.errors.items())


def _org_or_404(org_id: int) -> Organization:
    org = get_session().get(Organization, org_id)
    if org is None or org.is_vendor:
        abort(404)
    return org


@bp.get("/")
@login_required
def index():
    admin_only()
    return redirect(url_for("admin.organizations"))


def _organizations_page(form: OrganizationForm | None = None, error: str | None = None, status: int = 200):
    orgs = get_session().scalars(
        select(Organization).where(Organization.is_vendor.is_(False)).order_by(Organization.name)
    )
    return render_template(
        "admin/organizations.html", organizations=list(orgs), form=form or OrganizationForm(), error=error
    ), status


@bp.get("/organizations")
@login_required
def organizations():
    admin_only()
    return _organizations_page()


@bp.post("/organizations")
@login_required
def create_organization():
    user = admin_only()
    form = OrganizationForm()
    if not form.validate():
        return _organizations_page(form, invalid(form), 400)

    def created():
        org = admin.create_organization(get_session(), user, name=form.data["name"], now=now(), channel="web")
        flash(f"Organisation {org.name} created; add its sites and contracts.", "info")
        return redirect(url_for("admin.organization", org_id=org.id), 303)

    return form_action(created, lambda exc: _organizations_page(form, str(exc)))


def contract_form(org: Organization, form: ContractForm | None = None) -> ContractForm:
    """A contract form with the plans and the organisation's assets to choose from."""
    session = get_session()
    form = form or ContractForm()
    form.plan_code.choices = options(
        (p.code, f"{p.name} ({p.code})") for p in session.scalars(select(SupportPlan).order_by(SupportPlan.name))
    )
    assets = session.scalars(select(Asset).where(Asset.organization_id == org.id).order_by(Asset.serial))
    form.asset_serials.choices = options((a.serial, f"{a.serial} — {a.product.model}") for a in assets)
    return form


def _manager_form(
    form: AccountManagerForm | None = None, *, assigned: frozenset[int] = frozenset()
) -> AccountManagerForm:
    """The choice of account managers; those ``assigned`` already are not offered again."""
    form = form or AccountManagerForm()
    form.user_id.choices = options(
        (u.id, f"{u.name} <{u.email}>")
        for u in account_managers.assignable_account_managers(get_session())
        if u.id not in assigned
    )
    return form


def _organization_page(org: Organization, status: int = 200, *, error: str | None = None, **forms):
    session = get_session()
    rename = forms.get("rename") or OrganizationForm(name=org.name, version=org.version)
    contracts = session.scalars(select(Contract).where(Contract.organization_id == org.id).order_by(Contract.number))
    managers = account_managers.account_managers_of(session, org)
    return render_template(
        "admin/organization.html",
        org=org,
        rename=rename,
        site_form=forms.get("site") or SiteForm(),
        contract_form=contract_form(org, forms.get("contract")),
        manager_form=_manager_form(forms.get("manager"), assigned=frozenset(m.id for m in managers)),
        contracts=list(contracts),
        managers=managers,
        history=partner_history(session, org),
        error=error,
    ), status


@bp.get("/organizations/<id:org_id>")
@login_required
def organization(org_id: int):
    admin_only()
    return _organization_page(_org_or_404(org_id))


@bp.post("/organizations/<id:org_id>")
@login_required
def rename_organization(org_id: int):
    user, org = admin_only(), _org_or_404(org_id)
    form = OrganizationForm()
    if not form.validate():
        return _organization_page(org, 400, error=invalid(form), rename=form)

    def renamed():
        editing.update_organization(
            get_session(), user, org, version=version_of(form), now=now(), channel="web", name=form.name.data
        )
        flash("Organisation renamed.", "info")
        return redirect(url_for("admin.organization", org_id=org.id), 303)

    return form_action(renamed, lambda exc: _organization_page(_org_or_404(org_id), error=str(exc), rename=form))


@bp.post("/organizations/<id:org_id>/sites")
@login_required
def create_site(org_id: int):
    user, org = admin_only(), _org_or_404(org_id)
    form = SiteForm()
    if not form.validate():
        return _organization_page(org, 400, error=invalid(form), site=form)

    def created():
        values = {k: (form[k].data or "").strip() for k in SITE_FIELDS}
        site = admin.create_site(get_session(), user, org, now=now(), channel="web", **values)
        flash(f"Site {site.name} added.", "info")
        return redirect(url_for("admin.organization", org_id=org.id) + "#sites", 303)

    return form_action(created, lambda exc: _organization_page(_org_or_404(org_id), error=str(exc), site=form))


def _site_or_404(site_id: int) -> Site:
    site = get_session().get(Site, site_id)
    if site is None:
        abort(404)
    return site


def _site_page(site: Site, form: SiteForm | None = None, error: str | None = None, status: int = 200):
    if form is None:
        form = SiteForm(obj=site)
        form.version.data = str(site.version)
    return render_template("admin/site.html", site=site, form=form, error=error), status


@bp.route("/sites/<id:site_id>", methods=["GET", "POST"])
@login_required
def site(site_id: int):
    user, site = admin_only(), _site_or_404(site_id)
    form = SiteForm()
    if not form.is_submitted():
        return _site_page(site)
    if not form.validate():
        return _site_page(site, form, invalid(form), 400)

    def saved():
        values = {k: (form[k].data or "").strip() for k in SITE_FIELDS}
        editing.update_site(get_session(), user, site, version=version_of(form), now=now(), channel="web", **values)
        flash(f"Site {site.name} saved.", "info")
        return redirect(url_for("admin.organization", org_id=site.organization_id) + "#sites", 303)

    return form_action(saved, lambda exc: _site_page(_site_or_404(site_id), form, str(exc)))


@bp.post("/organizations/<id:org_id>/contracts")
@login_required
def create_contract(org_id: int):
    user, org = admin_only(), _org_or_404(org_id)
    form = contract_form(org, ContractForm())
    if not form.validate():
        return _organization_page(org, 400, error=invalid(form), contract=form)

    def created():
        contract = admin.create_contract(
            get_session(),
            user,
            number=form.data["number"],
            organization_id=org.id,
            plan_code=form.data["plan_code"],
            starts_on=form.data["starts_on"],
            ends_on=form.data["ends_on"],
            asset_serials=form.asset_serials.data or [],
            now=now(),
            channel="web",
        )
        flash(f"Contract {contract.number} added.", "info")
        return redirect(url_for("admin.organization", org_id=org.id) + "#contracts", 303)

    return form_action(created, lambda exc: _organization_page(_org_or_404(org_id), error=str(exc), contract=form))


def _contract_or_404(contract_id: int) -> Contract:
    contract = get_session().get(Contract, contract_id)
    if contract is None:
        abort(404)
    return contract


def _contract_page(contract: Contract, form: ContractForm | None = None, error: str | None = None, status=200):
    if form is None:
        form = contract_form(contract.organization, ContractForm(obj=contract))
        form.plan_code.data = contract.plan.code
        form.asset_serials.data = [a.serial for a in contract.assets]
        form.version.data = str(contract.version)
    return render_template("admin/contract.html", contract=contract, form=form, error=error), status


@bp.route("/contracts/<id:contract_id>", methods=["GET", "POST"])
@login_required
def contract(contract_id: int):
    user, contract = admin_only(), _contract_or_404(contract_id)
    if not ContractForm().is_submitted():
        return _contract_page(contract)
    form = contract_form(contract.organization, ContractForm())
    form.number.data = contract.number  # the number is the contract's identity: not edited
    if not form.validate():
        return _contract_page(contract, form, invalid(form), 400)

    def saved():
        editing.update_contract(
            get_session(),
            user,
            contract,
            version=version_of(form),
            now=now(),
            channel="web",
            plan_code=form.plan_code.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            asset_serials=form.asset_serials.data or [],
        )
        flash(f"Contract {contract.number} saved; open cases under it were re-timed.", "info")
        return redirect(url_for("admin.organization", org_id=contract.organization_id) + "#contracts", 303)

    return form_action(saved, lambda exc: _contract_page(_contract_or_404(contract_id), form, str(exc)))


@bp.post("/organizations/<id:org_id>/account-managers")
@login_required
def assign_account_manager(org_id: int):
    user, org = admin_only(), _org_or_404(org_id)
    form = _manager_form(AccountManagerForm())
    if not form.validate():
        return _organization_page(org, 400, error=invalid(form), manager=form)

    def assigned():
        manager = account_managers.assign_account_manager(
            get_session(), user, org, now=now(), channel="web", user_id=int(form.user_id.data)
        )
        flash(f"{manager.name} now watches {org.name}.", "info")
        return redirect(url_for("admin.organization", org_id=org.id) + "#account-managers", 303)

    return form_action(assigned, lambda exc: _organization_page(_org_or_404(org_id), error=str(exc), manager=form))


@bp.post("/organizations/<id:org_id>/account-managers/<id:user_id>/remove")
@login_required
def unassign_account_manager(org_id: int, user_id: int):
    user, org = admin_only(), _org_or_404(org_id)  # the CSRF token is checked for every form post

    def unassigned():
        manager = account_managers.unassign_account_manager(
            get_session(), user, org, now=now(), channel="web", user_id=user_id
        )
        flash(f"{manager.name} no longer watches {org.name}.", "info")
        return redirect(url_for("admin.organization", org_id=org.id) + "#account-managers", 303)

    return form_action(unassigned, lambda exc: _organization_page(_org_or_404(org_id), error=str(exc)))
