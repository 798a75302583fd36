"""The queue's own API: saved views (the caller's) and macros (support managers keep them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from casemgr.api.auth import api_user
from casemgr.api.errors import ApiError
from casemgr.api.schemas import StrictSchema, Version
from casemgr.cases.queries import QueueFilter
from casemgr.db import get_session
from casemgr.errors import ForbiddenError
from casemgr.queue import macros as macro_services
from casemgr.queue import saved_views
from casemgr.queue.macro_rules import MAX_BODY, MAX_NAME, PLACEHOLDERS
from casemgr.queue.models import Macro, SavedView
from casemgr.web import now

blp = Blueprint("api_queue", __name__, description="Queue: saved views and macros")


class SavedViewSchema(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    query = fields.String(metadata={"description": "the query string of /cases/ (and /api/v1/cases)"})
    filters = fields.Dict(keys=fields.String(), values=fields.String())


class SavedViewListSchema(StrictSchema):
    items = fields.List(fields.Nested(SavedViewSchema))


class SavedViewCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=saved_views.MAX_NAME))
    query = fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "filters and sort as a query string, e.g. status=open&breached=1&sort=due"},
    )


class MacroSchema(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    body = fields.String()
    version = fields.Integer()
    updated_at = fields.DateTime()


class MacroListSchema(StrictSchema):
    items = fields.List(fields.Nested(MacroSchema))
    placeholders = fields.Dict(keys=fields.String(), values=fields.String())


class MacroWriteSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))
    version = Version(metadata={"description": "the version you read (updates): a stale one is a 409"})


def _view(view: SavedView) -> dict[str, Any]:
    return {"id": view.id, "name": view.name, "query": view.query, "filters": dict(parse_qsl(view.query))}


def _vendor():
    user = api_user()
    if user.is_customer:
        raise ForbiddenError("Saved queue views are for vendor staff.")
    return user


@blp.route("/me/queue-views")
class SavedViews(MethodView):
    @blp.response(200, SavedViewListSchema)
    def get(self):
        """Your saved queue views (vendor staff)."""
        return {"items": [_view(v) for v in saved_views.views_of(get_session(), _vendor())]}

    @blp.arguments(SavedViewCreateSchema())
    @blp.response(201, SavedViewSchema)
    def post(self, body):
        """Save filters and sort under a name; a view of the same name is replaced."""
        flt = QueueFilter.from_args(MultiDict(parse_qsl(body["query"])))
        return _view(saved_views.save_view(get_session(), _vendor(), name=body["name"], flt=flt, now=now()))


@blp.route("/me/queue-views/<id:view_id>")
class SavedViewItem(MethodView):
    @blp.response(204)
    def delete(self, view_id: int):
        """Delete one of your views (another user's answers 404)."""
        saved_views.delete_view(get_session(), _vendor(), view_id)


def _macro(macro: Macro) -> dict[str, Any]:
    return {
        "id": macro.id,
        "name": macro.name,
        "body": macro.body,
        "version": macro.version,
        "updated_at": macro.updated_at,
    }


@blp.route("/macros")
class Macros(MethodView):
    @blp.response(200, MacroListSchema)
    def get(self):
        """The macros (support staff), with the placeholders they may use."""
        user = api_user()
        if not user.works_cases:
            raise ForbiddenError("Macros are for support staff.")
        return {"items": [_macro(m) for m in macro_services.macros(get_session())], "placeholders": PLACEHOLDERS}

    @blp.arguments(MacroWriteSchema())
    @blp.response(201, MacroSchema)
    def post(self, body):
        """Create a macro (support managers). An unknown placeholder is a 422 `rule_violation`;
        text the safety guard refuses is a 422 `safety_guard`, audited."""
        return _macro(
            macro_services.create_macro(get_session(), api_user(), name=body["name"], body=body["body"], now=now())
        )


@blp.route("/macros/<id:macro_id>")
class MacroItem(MethodView):
    @blp.arguments(MacroWriteSchema())
    @blp.response(200, MacroSchema)
    def put(self, body, macro_id: int):
        """Change a macro (support managers); `version` is required."""
        if "version" not in body:
            raise ApiError(400, "Name the version you read.")
        return _macro(
            macro_services.update_macro(
                get_session(),
                api_user(),
                macro_id,
                name=body["name"],
                body=body["body"],
                expected_version=body["version"],
                now=now(),
            )
        )

    @blp.response(204)
    def delete(self, macro_id: int):
        """Delete a macro (support managers)."""
        macro_services.delete_macro(get_session(), api_user(), macro_id)
