"""User administration over the API: administrators for every organisation, customer
admins for their own (another organisation's user answers 404). The same services,
rules and audit entries as the /admin/users pages and the ``casemgr user`` commands.

Changes name the version they read, in the body (``version``) or as ``If-Match``
(the ``ETag`` of GET /users/{id}); a stale one answers 409."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from casemgr.accounts import services
from casemgr.admin import services as admin
from casemgr.api.admin_schemas import UserIn
from casemgr.api.auth import api_user
from casemgr.api.errors import ApiError
from casemgr.api.schemas import Version
from casemgr.auth.models import User
from casemgr.auth.roles import TIERS, Role
from casemgr.db import get_session
from casemgr.errors import ForbiddenError
from casemgr.versions import if_match_version
from casemgr.web import now

blp = Blueprint(
    "api_users", __name__, description="User administration (admins; customer admins for their own organisation)"
)

CHANNEL = "api"
_ID = validate.Range(min=1, max=2**31 - 1)
_VERSION = Version(load_default=None, metadata={"description": "The version you read (or send If-Match)."})
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'The ETag of GET /users/{id} (e.g. "3"), instead of `version` in the body.',
}


class UserQuery(Schema):
    organization_id = fields.Integer(load_default=None, validate=_ID)


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    organization_id = fields.Integer()
    region = fields.String(allow_none=True)
    tier = fields.String(allow_none=True)
    is_active = fields.Boolean(attribute="is_active_flag")
    status = fields.Function(
        lambda u: "deactivated" if not u.is_active_flag else ("active" if u.has_password else "invited"),
        metadata={"description": "active, invited (no password set yet) or deactivated"},
    )
    version = fields.Integer()


class UserInviteIn(UserIn):
    password = fields.String(
        load_default=None,
        load_only=True,
        validate=validate.Length(min=10, max=256),
        metadata={"description": "Administrators only: create the account with this password instead of inviting."},
    )


class UserPatchIn(Schema):
    version = _VERSION
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    tier = fields.String(allow_none=True, validate=validate.OneOf(TIERS))
    name = fields.String(validate=validate.Length(min=1, max=200))
    region = fields.String(allow_none=True, validate=validate.Length(max=64))


class VersionIn(Schema):
    version = _VERSION


class ResetOut(Schema):
    sent = fields.Boolean()
    email = fields.String()


def _version(body: dict) -> int | None:
    """``version`` from the body, else from If-Match; a PATCH must send one of them."""
    if body.get("version") is not None:
        return body["version"]
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        return None
    version = if_match_version(header)
    if version is None:
        raise ApiError(400, 'If-Match must be the ETag of the user, e.g. "3".', code="bad_request")
    return version


def _tagged(user: User, status: int = 200):
    return user, status, {"ETag": f'"{user.version}"'}


def _user(user_id: int) -> User:
    return services.get_user_for(get_session(), api_user(), user_id)


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(UserQuery(), location="query")
    @blp.response(200, UserOut(many=True))
    def get(self, query):
        """The users you manage (optionally one organisation's)."""
        return services.users_for(get_session(), api_user(), query["organization_id"])

    @blp.arguments(UserInviteIn())
    @blp.response(201, UserOut)
    def post(self, body):
        """Invite a user: the account is created without a password and its set-password link
        (valid 72 h, single use) is e-mailed. Administrators may instead give `password`."""
        actor, session = api_user(), get_session()
        if body.get("password") is not None:
            if actor.role != Role.ADMIN:
                raise ForbiddenError("Only administrators set a password; leave it out to send an invitation.")
            return _tagged(admin.create_account(session, actor, now=now(), channel=CHANNEL, **body), 201)
        body.pop("password", None)
        return _tagged(services.invite_user(session, actor, now=now(), channel=CHANNEL, **body), 201)


@blp.route("/users/<id:user_id>")
class OneUser(MethodView):
    @blp.response(200, UserOut)
    def get(self, user_id):
        """One user; the ETag is its version."""
        return _tagged(_user(user_id))

    @blp.arguments(UserPatchIn())
    @blp.response(200, UserOut)
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, body, user_id):
        """Change role, tier, name or region. Send `version` or If-Match (409 when stale)."""
        target = _user(user_id)
        version = _version(body)
        if version is None:
            raise ApiError(428, "Send the version you read: `version` in the body or an If-Match header.")
        changes = {k: body[k] for k in ("tier", "region") if k in body}
        user = services.update_user(
            get_session(),
            api_user(),
            target,
            expected_version=version,
            role=body.get("role"),
            name=body.get("name"),
            now=now(),
            channel=CHANNEL,
            **changes,
        )
        return _tagged(user)


@blp.route("/users/<id:user_id>/deactivate")
class Deactivate(MethodView):
    @blp.arguments(VersionIn())
    @blp.response(200, UserOut)
    @blp.doc(parameters=[IF_MATCH])
    def post(self, body, user_id):
        """Deactivate: no login, API tokens answer 401, sessions end."""
        user = services.deactivate_user(
            get_session(), api_user(), _user(user_id), expected_version=_version(body), now=now(), channel=CHANNEL
        )
        return _tagged(user)


@blp.route("/users/<id:user_id>/reactivate")
class Reactivate(MethodView):
    @blp.arguments(VersionIn())
    @blp.response(200, UserOut)
    @blp.doc(parameters=[IF_MATCH])
    def post(self, body, user_id):
        """Let a deactivated user log in again."""
        user = services.reactivate_user(
            get_session(), api_user(), _user(user_id), expected_version=_version(body), now=now(), channel=CHANNEL
        )
        return _tagged(user)


@blp.route("/users/<id:user_id>/password-reset")
class PasswordReset(MethodView):
    @blp.response(202, ResetOut)
    def post(self, user_id):
        """E-mail a set-password link (a reset, or a new invitation for an invitee)."""
        target = _user(user_id)
        services.send_password_reset(get_session(), api_user(), target, now=now(), channel=CHANNEL)
        return {"sent": True, "email": target.email}
