"""The user administration pages (/admin/users): administrators for every organisation,
customer admins for their own. Thin: parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from casemgr.accounts import audit, services
from casemgr.accounts.forms import AccountActionForm, EditUserForm, InviteForm, expected_version, role_choices
from casemgr.accounts.rules import grantable_roles
from casemgr.auth.models import User
from casemgr.auth.roles import CUSTOMER_ROLES
from casemgr.db import get_session
from casemgr.forms import form_error, options
from casemgr.web import actor, form_action, now

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")

CHANNEL = "web"


@bp.get("/")
@login_required
def list_users():
    session, manager = get_session(), actor()
    org_id = request.args.get("org", type=int)
    users = services.users_for(session, manager, org_id)  # 403 for roles that manage nobody
    orgs = services.organizations_for(session, manager)
    return render_template("accounts/list.html", users=users, orgs=orgs, org_id=org_id)


def _invite_form() -> InviteForm:
    session, manager = get_session(), actor()
    form = InviteForm()
    orgs = services.organizations_for(session, manager)
    form.organization_id.choices = options((o.id, o.name + (" (vendor)" if o.is_vendor else "")) for o in orgs)
    form.role.choices = role_choices(grantable_roles(manager.role))
    if request.method == "GET":
        wanted = request.args.get("org", type=int)
        form.organization_id.data = str(wanted if wanted in {o.id for o in orgs} else orgs[0].id) if orgs else ""
    return form


def _render_invite(form: InviteForm, error: str | None = None):
    return render_template("accounts/invite.html", form=form, error=error)


@bp.route("/invite", methods=["GET", "POST"])
@login_required
def invite():
    services.require_manager(actor())
    form = _invite_form()
    if request.method == "GET":
        return _render_invite(form)
    if not form.validate():
        return _render_invite(form), 400

    def run():
        user = services.invite_user(
            get_session(),
            actor(),
            email=form.email.data or "",
            role=form.role.data or "",
            organization_id=int(form.organization_id.data or 0) or None,
            name=form.name.data,
            tier=form.tier.data or None,
            region=form.region.data,
            now=now(),
            channel=CHANNEL,
        )
        flash(f"Invitation sent to {user.email}: the link works for 72 hours.", "info")
        return redirect(url_for("users_admin.show_user", user_id=user.id), 303)

    return form_action(run, lambda exc: _render_invite(form, exc.message))


def _render_user(target: User, form: EditUserForm | None = None, error: str | None = None):
    manager = actor()
    if form is None:
        form = EditUserForm(
            formdata=None, version=target.version, name=target.name, role=target.role, tier=target.tier or ""
        )
        form.region.data = target.region or ""
    form.role.choices = role_choices(
        [r for r in grantable_roles(manager.role) if _fits(r, target.organization.is_vendor)]
    )
    return render_template(
        "accounts/show.html",
        target=target,
        form=form,
        action=AccountActionForm(formdata=None, version=target.version),
        history=audit.history(get_session(), target),
        error=error,
        is_self=target.id == manager.id,
    )


def _fits(role: str, vendor: bool) -> bool:
    return (role in CUSTOMER_ROLES) != vendor


@bp.get("/<id:user_id>")
@login_required
def show_user(user_id: int):
    return _render_user(services.get_user_for(get_session(), actor(), user_id))


@bp.post("/<id:user_id>")
@login_required
def edit_user(user_id: int):
    target = services.get_user_for(get_session(), actor(), user_id)
    form = EditUserForm()
    form.role.choices = role_choices(grantable_roles(actor().role))
    if not form.validate():
        message = form.version.errors[0] if form.version.errors else "Check the fields marked below."
        return _render_user(target, form, message), 400

    def run():
        services.update_user(
            get_session(),
            actor(),
            target,
            expected_version=expected_version(form.version),
            role=form.role.data,
            tier=form.tier.data or None,
            name=form.name.data,
            region=form.region.data,
            now=now(),
            channel=CHANNEL,
        )
        flash(f"{target.email} saved.", "info")
        return redirect(url_for("users_admin.show_user", user_id=target.id), 303)

    return form_action(run, lambda exc: _render_user(target, form, exc.message))


def _account_action(user_id: int, service, done: str):
    """One of the buttons of the user's page: the service with the version shown."""
    target = services.get_user_for(get_session(), actor(), user_id)
    form = AccountActionForm()
    if not form.validate():
        return _render_user(
            target, error=form_error(form, "The form was incomplete; reload the page and try again.")
        ), 400

    def run():
        service(target, expected_version(form.version))
        flash(done.format(email=target.email), "info")
        return redirect(url_for("users_admin.show_user", user_id=target.id), 303)

    return form_action(run, lambda exc: _render_user(get_session().get(User, user_id) or target, error=exc.message))


@bp.post("/<id:user_id>/deactivate")
@login_required
def deactivate(user_id: int):
    return _account_action(
        user_id,
        lambda t, v: services.deactivate_user(
            get_session(), actor(), t, expected_version=v, now=now(), channel=CHANNEL
        ),
        "{email} is deactivated: logged out everywhere, API tokens no longer work.",
    )


@bp.post("/<id:user_id>/reactivate")
@login_required
def reactivate(user_id: int):
    return _account_action(
        user_id,
        lambda t, v: services.reactivate_user(
            get_session(), actor(), t, expected_version=v, now=now(), channel=CHANNEL
        ),
        "{email} is active again.",
    )


@bp.post("/<id:user_id>/password-reset")
@login_required
def password_reset(user_id: int):
    return _account_action(
        user_id,
        lambda t, _v: services.send_password_reset(get_session(), actor(), t, now=now(), channel=CHANNEL),
        "A password e-mail is on its way to {email}.",
    )
