"""Escalation ladders through the API (support managers, administrators): the same
validation (a notify target must name an existing vendor user or role), audit and
re-timing of open cases as the /admin/ladders page, through the same service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from casemgr.api.auth import api_user
from casemgr.api.schemas import Version
from casemgr.db import get_session
from casemgr.errors import NotFoundError
from casemgr.web import now
from escalation import admin, queries
from escalation.models import ACTIONS, CONDITIONS, EscalationLadder, EscalationStep
from escalation.services import Settings

blp = Blueprint("api_ladders", __name__, description="Escalation ladders (support managers, administrators)")

_ID = validate.Range(min=1, max=2**31 - 1)
STEP_FIELDS = ("name", "condition", "offset_minutes", "offset_percent", "action", "target", "repeat_minutes")


class StepOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    name = fields.String()
    condition = fields.String()
    offset_minutes = fields.Integer(allow_none=True)
    offset_percent = fields.Integer(allow_none=True)
    action = fields.String()
    target = fields.String()
    repeat_minutes = fields.Integer(allow_none=True)
    version = fields.Integer()


class LadderOut(Schema):
    id = fields.Integer()
    name = fields.String()
    severity = fields.Integer()
    plan_id = fields.Integer(allow_none=True, metadata={"description": "null: the default ladder for any plan"})
    version = fields.Integer()
    steps = fields.List(fields.Nested(StepOut))


class LadderSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    severity = fields.Integer()
    plan_id = fields.Integer(allow_none=True)
    version = fields.Integer()
    step_count = fields.Function(lambda ladder: len(ladder.steps))


def _step_fields(required: bool) -> dict[str, fields.Field]:
    kw: dict[str, Any] = {"required": True} if required else {}
    return {
        "name": fields.String(validate=validate.Length(min=1, max=100), **kw),
        "condition": fields.String(validate=validate.OneOf(CONDITIONS), **kw),
        "offset_minutes": fields.Integer(allow_none=True, validate=validate.Range(min=0, max=525600)),
        "offset_percent": fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000)),
        "action": fields.String(validate=validate.OneOf(ACTIONS), **kw),
        "target": fields.String(
            validate=validate.Length(min=1, max=100),
            metadata={"description": "owner, account_manager, return_team, role:<role>, user:<email>, L2, 1..3"},
            **kw,
        ),
        "repeat_minutes": fields.Integer(allow_none=True, validate=validate.Range(min=5, max=10080)),
    }


StepIn = Schema.from_dict(_step_fields(required=True), name="StepIn")
StepPatch = Schema.from_dict(
    {
        **_step_fields(required=False),
        "version": Version(
            required=True, metadata={"description": "the step version you read: changed since is a 409"}
        ),
    },
    name="StepPatch",
)


def _ladder(ladder_id: int) -> EscalationLadder:
    admin.require_manager(api_user())
    ladder = get_session().get(EscalationLadder, ladder_id)
    if ladder is None:
        raise NotFoundError(f"No ladder {ladder_id}.")
    return ladder


@blp.route("/ladders")
class Ladders(MethodView):
    @blp.response(200, LadderSummary(many=True))
    def get(self):
        """Every ladder, the defaults first."""
        admin.require_manager(api_user())
        return queries.ladders(get_session())


@blp.route("/ladders/<id:ladder_id>")
class LadderItem(MethodView):
    @blp.response(200, LadderOut)
    def get(self, ladder_id):
        """One ladder with its steps in order."""
        return _ladder(ladder_id)


@blp.route("/ladders/<id:ladder_id>/steps")
class LadderSteps(MethodView):
    @blp.arguments(StepIn())
    @blp.response(201, StepOut)
    def post(self, body, ladder_id):
        """Add a step at the end; a target naming no vendor user or role is a 422."""
        ladder = _ladder(ladder_id)
        values = {k: body.get(k) for k in STEP_FIELDS}
        return admin.save_step(get_session(), api_user(), ladder.id, None, values, now(), Settings.from_app())


@blp.route("/ladders/<id:ladder_id>/steps/<id:step_id>")
class LadderStep(MethodView):
    @blp.arguments(StepPatch())
    @blp.response(200, StepOut)
    def patch(self, body, ladder_id, step_id):
        """Change a step (the fields given); open cases are re-timed."""
        ladder = _ladder(ladder_id)
        step = get_session().get(EscalationStep, step_id)
        if step is None or step.ladder_id != ladder.id:
            raise NotFoundError(f"Ladder {ladder_id} has no step {step_id}.")
        version = body.pop("version")
        values = {k: body[k] if k in body else getattr(step, k) for k in STEP_FIELDS}
        if "offset_minutes" in body and "offset_percent" not in body:
            values["offset_percent"] = None  # one offset replaces the other
        if "offset_percent" in body and "offset_minutes" not in body:
            values["offset_minutes"] = None
        return admin.save_step(
            get_session(), api_user(), ladder.id, step.id, values, now(), Settings.from_app(), expected_version=version
        )

    @blp.response(204)
    def delete(self, ladder_id, step_id):
        """Remove a step that has never fired (one that has keeps its history: change its timing)."""
        ladder = _ladder(ladder_id)
        step = get_session().get(EscalationStep, step_id)
        if step is None or step.ladder_id != ladder.id:
            raise NotFoundError(f"Ladder {ladder_id} has no step {step_id}.")
        admin.delete_step(get_session(), api_user(), step.id, now(), Settings.from_app())
