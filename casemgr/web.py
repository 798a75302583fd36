"""Blueprint registration and helpers shared by every view module."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, Request, abort, current_app, flash, g, redirect, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from casemgr.auth.roles import ROLE_LABELS, Role
from casemgr.cases.rules import SEVERITY_DEFINITIONS, STATUS_LABELS
from casemgr.errors import DomainError
from casemgr.extensions import login_manager
from casemgr.registry import registry_of
from casemgr.timezones import same_offset, viewer_zone


def now() -> datetime:
    """The edge reads the clock; everything below receives the instant."""
    return registry_of().clock.now()


def actor():
    """The logged-in user as a model object (views are all behind login_required): the
    one Flask-Login's user loader put in the request's session, from its identity map."""
    from casemgr.auth.models import User
    from casemgr.db import get_session

    user_id = current_user.id if current_user.is_authenticated else None
    user = get_session().get(User, user_id) if user_id is not None else None
    if user is None:
        abort(401)
    return user


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus building the signer for a request that sends no
    session cookie: every API call (bearer tokens, no cookies) paid for it."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def register_web(app: Flask) -> None:
    app.session_interface = CookieSessions()
    from casemgr.accounts.self_views import bp as account_bp
    from casemgr.accounts.views import bp as accounts_bp
    from casemgr.admin.catalogue_views import bp as admin_catalogue_bp
    from casemgr.admin.views import bp as admin_bp
    from casemgr.assets.import_views import bp as asset_import_bp
    from casemgr.assets.views import bp as assets_bp
    from casemgr.auth.views import bp as auth_bp
    from casemgr.cases.views import bp as cases_bp
    from casemgr.contracts.views import bp as calendars_bp
    from casemgr.health import bp as health_bp
    from casemgr.notifications.views import bp as notifications_bp
    from casemgr.queue.views import bp as queue_bp
    from casemgr.safety.views import bp as safety_bp
    from casemgr.search.views import bp as search_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(asset_import_bp)
    app.register_blueprint(calendars_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(queue_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(safety_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(admin_catalogue_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(search_bp)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str):
        """The session's user, if the session is still live: its id carries the user's
        session generation, which logout, a password change and deactivation raise."""
        from casemgr.auth.models import User
        from casemgr.db import get_session

        if g.get("database_unavailable"):  # rendering the 503 page (casemgr.outage): read nothing
            return None
        user_id, _, generation = session_id.partition(":")
        if not user_id.isdigit() or not generation.isdigit() or int(user_id) > 2**31 - 1:
            return None
        user = get_session().get(User, int(user_id))
        if user is None or not user.is_active or str(user.session_generation) != generation:
            return None
        return user

    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["site_time"] = format_site_time
    app.jinja_env.filters["in_zone"] = format_in_zone
    app.jinja_env.filters["ago"] = format_age
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["sentence"] = lambda text: (text or "")[:1].upper() + (text or "")[1:]  # "Drive SN ..."

    app.jinja_env.globals.update(
        ROLE_LABELS=ROLE_LABELS, Role=Role, STATUS_LABELS=STATUS_LABELS, SEVERITY_DEFINITIONS=SEVERITY_DEFINITIONS
    )

    @app.context_processor
    def request_globals():
        from casemgr.notifications.services import unread_count

        if g.get("database_unavailable"):  # the 503 page: nothing read (casemgr.outage)
            return {"now_utc": now(), "unread_notifications": 0, "database_unavailable": True}
        unread = 0
        if current_user.is_authenticated:
            from casemgr.db import get_session

            unread = unread_count(get_session(), current_user)
        return {"now_utc": now(), "unread_notifications": unread}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        )
        if app.config.get("SESSION_COOKIE_SECURE"):  # served over HTTPS: browsers must keep to it
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def format_when(value: datetime | None) -> str:
    """A time in the viewer's zone, with the zone's abbreviation (UTC outside a request)."""
    return value.astimezone(viewer_zone()).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def format_local(value: datetime | None, tz: str | None = None) -> str:
    """A time on a page: in the viewer's zone, whatever the site's (one zone per screen)."""
    return format_when(value)


def format_in_zone(value: datetime | None, tz: str) -> str:
    """A time in one named zone, e.g. a site's "local time now"."""
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def format_site_time(value: datetime | None, tz: str) -> str:
    """Where the site matters (visit windows, coverage): the viewer's time, and the site's
    local time beside it when the two zones differ at that instant."""
    if value is None:
        return "—"
    site, mine = ZoneInfo(tz), viewer_zone()
    shown = format_when(value)
    if same_offset(value, site, mine):
        return shown
    return f"{shown} (site {value.astimezone(site).strftime('%Y-%m-%d %H:%M %Z')})"


def format_age(value: datetime | None) -> str:
    if value is None:
        return "—"
    seconds = int((now() - value).total_seconds())
    if seconds < 3600:
        return f"{max(seconds // 60, 0)} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def format_duration(value) -> str:
    """A timedelta as people say it: "45 min", "3 h 20 min", "2 d 4 h"."""
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


class IdConverter(IntegerConverter):
    """``<id:...>``: a database id (1 to 2**31-1). A larger number is a 404, not a
    database overflow error."""

    def __init__(self, url_map, **kwargs) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def case_or_404(number: str):
    """The case ``number`` if the current user may see it; otherwise ``NotFoundError``, which
    the app answers 404 (never 403: no existence leak)."""
    from casemgr.auth import policy
    from casemgr.db import get_session

    return policy.get_case_for(get_session(), actor(), number)


def rollback_request_session() -> None:
    """The one rollback of a request whose service refused or failed.

    Called by the app's error handlers and by :func:`form_action`, never by a view:
    whatever the failed service left in the request's session is discarded before
    anything is rendered, so the page (or the error) reads what is committed. A
    safety refusal has already committed its audit record (``record_refusals``):
    that record stays.
    """
    from casemgr.db import get_session

    get_session().rollback()


def form_action(
    run: Callable[[], ResponseReturnValue], refused: Callable[[DomainError], ResponseReturnValue]
) -> ResponseReturnValue:
    """A posted form: ``run()`` calls the service and returns the response on success
    (usually a redirect). A :class:`~casemgr.errors.DomainError` is answered with its
    own status, as the API answers it: the request's session is rolled back and
    ``refused(error)`` re-renders the page, with the message and the form as posted
    (422 a refused rule or the safety guard, 409 a conflict or a refused move). A
    403 or 404 shows the error page instead (the app's handler), as for any page.
    A form that does not validate is the view's own 400, before this is called.
    """
    try:
        return run()
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        rollback_request_session()
        response = current_app.make_response(refused(exc))
        response.status_code = exc.status
        return response


def case_form_action(case, form, *, invalid: str, run: Callable[[], object], done: str):
    """A form posted from a panel of ``case``'s page (escalation request, rating...): done,
    it flashes ``done`` and goes back to the case; an invalid form (400) or a refusal
    (the error's status, see :func:`form_action`) re-renders the case page with the
    message, the panel's form keeping what was typed. The message of an invalid form is
    what its first failing validator says (``casemgr.forms.form_error``), else ``invalid``."""
    from casemgr.cases.views import render_case, render_refusal
    from casemgr.forms import form_error

    if not form.validate():
        return render_case(case, 400, error=form_error(form, invalid))

    def submit():
        run()
        flash(done, "info")
        return redirect(url_for("cases.show_case", number=case.number), 303)

    return form_action(submit, lambda exc: render_refusal(case, exc))
