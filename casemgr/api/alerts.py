"""POST /alerts: Alertmanager webhooks and a simple JSON form (see AlertPayload)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from casemgr.api.auth import api_user
from casemgr.cases.attachments import attachment_store
from casemgr.channels.alerts import alerts_from_payload, receive
from casemgr.db import get_session
from casemgr.web import now

blp = Blueprint("api_alerts", __name__, description="Monitoring call-home")
Text = lambda n: fields.String(validate=validate.Length(max=n))  # noqa: E731


class AlertItem(Schema):
    class Meta:
        unknown = INCLUDE

    status = fields.String(validate=validate.OneOf(("firing", "resolved")))
    labels = fields.Dict(keys=fields.String(validate=validate.Length(max=100)), values=Text(1000), load_default=dict)
    annotations = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)), values=Text(20000), load_default=dict
    )
    fingerprint = Text(128)


class AlertPayload(Schema):
    """Either Alertmanager's webhook (version 4: ``alerts`` with ``labels.serial``) or the simple form:
    ``{"serial", "summary", "description", "severity" (1-4 or critical/warning/info), "status", "fingerprint"}``."""

    class Meta:
        unknown = INCLUDE

    version = Text(10)
    status = fields.String(validate=validate.OneOf(("firing", "resolved")))
    alerts = fields.List(fields.Nested(AlertItem), validate=validate.Length(min=1, max=500))
    serial = Text(64)
    severity = fields.Raw()
    summary = Text(200)
    description = Text(20000)
    fingerprint = Text(128)

    @validates_schema
    def one_form(self, data, **_kw):
        if "alerts" not in data and not data.get("summary"):
            raise ValidationError("Send Alertmanager's `alerts` list or the simple form with at least `summary`.")


class AlertResult(Schema):
    fingerprint = fields.String()
    case_number = fields.String()
    action = fields.String()


class AlertResults(Schema):
    results = fields.List(fields.Nested(AlertResult))


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(AlertPayload())
    @blp.response(202, AlertResults)
    def post(self, payload):
        """Each alert fingerprint opens or updates one case of the token's organisation; never dropped."""
        store = attachment_store(current_app.config)
        outcomes = receive(get_session(), api_user(), alerts_from_payload(payload), store, now())
        return {"results": [o.__dict__ for o in outcomes]}
