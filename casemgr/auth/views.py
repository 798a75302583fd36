from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from casemgr.auth.forms import LoginForm
from casemgr.auth.services import authenticate
from casemgr.db import get_session
from casemgr.extensions import limiter
from casemgr.registry import registry_of

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    """The account a login attempt is for: guessing one account's password from many
    addresses is limited too (the address limit alone would not see it)."""
    return "login-account:" + " ".join((request.form.get("email") or "").split()).lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_session(), form.email.data or "", form.password.data or "")
        if user is None:
            form.password.errors = [*form.password.errors, "Unknown e-mail or wrong password."]
        else:
            login_user(user)
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("auth.home")
            return redirect(target)
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    from casemgr.accounts.self_views import logout_everywhere

    logout_everywhere()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
@login_required
def home():
    """Each role's start page: areas register theirs (account managers: their dashboard,
    field engineers: their dispatches); everyone else starts from the scoped case list."""
    endpoint = registry_of().home_pages.get(current_user.role, "cases.list_cases")
    return redirect(url_for(endpoint))


@bp.route("/settings", methods=["GET"])
@login_required
def settings():
    from casemgr.auth.tokens import tokens_of

    return settings_page(tokens_of(get_session(), current_user), None)


def settings_page(tokens, new_token, **extra):
    """The settings page: tokens, and how the user hears about cases (casemgr.notifications)."""
    from casemgr.accounts.forms import ChangePasswordForm
    from casemgr.notifications.preferences import KINDS, MODES, preferences_of
    from casemgr.timezones import viewer_zone, zone_names

    return render_template(
        "auth/settings.html",
        password_form=extra.pop("password_form", None) or ChangePasswordForm(formdata=None),
        tokens=tokens,
        new_token=new_token,
        preferences=extra.pop("preferences", None) or preferences_of(get_session(), current_user),
        kinds=KINDS,
        modes=MODES,
        zone_names=zone_names(),
        viewer_zone_name=viewer_zone().key,
        **extra,
    )


@bp.post("/settings/tokens")
@login_required
def create_api_token():
    """The token is shown once, on this response only."""
    from casemgr.auth.tokens import create_token, tokens_of
    from casemgr.web import now

    session = get_session()
    _, text = create_token(session, current_user, request.form.get("name", ""), now())
    response = settings_page(tokens_of(session, current_user), text)
    return response, 201, {"Cache-Control": "no-store"}


@bp.post("/settings/tokens/<id:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    from casemgr.auth.tokens import revoke
    from casemgr.web import now

    if revoke(get_session(), current_user, token_id, now()):
        flash("Token revoked: it no longer works.", "info")
    return redirect(url_for("auth.settings"))


@bp.post("/settings/timezone")
@login_required
def save_timezone():
    """One time zone per person: every time on every page is shown in it."""
    from casemgr.auth.services import set_timezone
    from casemgr.errors import InvalidInput
    from casemgr.web import actor

    try:
        zone = set_timezone(get_session(), actor(), request.form.get("timezone", ""))
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.settings") + "#timezone")
    flash(f"Times are now shown in {zone}." if zone else "Times now follow your browser's time zone.", "info")
    return redirect(url_for("auth.settings") + "#timezone")
