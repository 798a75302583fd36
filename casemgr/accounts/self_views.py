"""Account self-service pages: set a password from an e-mailed link, ask for a reset
("Forgot password?" on the login page), and change the password in Settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from casemgr.accounts import links, selfservice
from casemgr.accounts.forms import ChangePasswordForm, ForgotPasswordForm, SetPasswordForm
from casemgr.accounts.rules import MIN_PASSWORD
from casemgr.db import get_session
from casemgr.errors import ConflictError, DomainError
from casemgr.extensions import limiter
from casemgr.web import actor, now, rollback_request_session

bp = Blueprint("account", __name__)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _reset_key() -> str:
    """Resets asked for one address from many places are limited too, as logins are."""
    return "reset-account:" + " ".join((request.form.get("email") or "").split()).lower()[:254]


@bp.route("/account/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_reset_key)
def forgot_password():
    """The same answer whether the address has an account or not."""
    form = ForgotPasswordForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("accounts/forgot.html", form=form), 400
        selfservice.request_password_reset(get_session(), form.email.data or "", now=now())
        return render_template("accounts/forgot.html", form=form, sent=True)
    return render_template("accounts/forgot.html", form=form)


def _render_set_password(token: str, form: SetPasswordForm, state: str, status: int = 200, email: str = ""):
    page = render_template(
        "accounts/set_password.html", form=form, token=token, state=state, min_length=MIN_PASSWORD, email=email
    )
    return page, status, NO_STORE


@bp.route(links.SET_PASSWORD_PATH + "<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str):
    """An invitation or reset link: choose a password, then you are logged in."""
    form = SetPasswordForm()
    session = get_session()
    checked = links.check_link(session, token, now())
    if checked.state != "valid":
        return _render_set_password(token, form, checked.state, 410 if checked.state != "unknown" else 404)
    email = checked.user.email if checked.user is not None else ""
    if request.method == "GET":
        return _render_set_password(token, form, "valid", email=email)
    if not form.validate():
        return _render_set_password(token, form, "valid", 400, email=email)
    try:
        user = selfservice.set_password_with_link(session, token, form.password.data or "", now=now())
    except ConflictError:
        rollback_request_session()
        return _render_set_password(token, form, "used", 410)
    except DomainError as exc:
        rollback_request_session()
        form.password.errors = [*form.password.errors, exc.message]
        return _render_set_password(token, form, "valid", exc.status, email=email)
    login_user(user)
    flash("Your password is set. Welcome to Casemgr.", "info")
    return redirect(url_for("auth.home"), 303)


@bp.post("/settings/password")
@login_required
def change_password():
    from casemgr.auth.tokens import tokens_of
    from casemgr.auth.views import settings_page

    form = ChangePasswordForm()
    session, user = get_session(), actor()
    if not form.validate():
        return settings_page(tokens_of(session, user), None, password_form=form), 400
    try:
        selfservice.change_password(
            session, user, current=form.current.data or "", new=form.password.data or "", now=now()
        )
    except DomainError as exc:
        rollback_request_session()
        field = form.current if "current password" in exc.message else form.password
        field.errors = [*field.errors, exc.message]
        return settings_page(tokens_of(session, user), None, password_form=form), exc.status
    login_user(user)  # this browser stays in; every other session has ended
    flash("Password changed. Your other sessions have been logged out.", "info")
    return redirect(url_for("auth.settings"), 303)


def logout_everywhere() -> None:
    """The logout button: the session ends on the server, not only in this browser."""
    if current_user.is_authenticated:
        selfservice.end_sessions(get_session(), actor(), now=now())
