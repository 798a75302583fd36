"""Webhook endpoints of the caller's organisation (customer admin) and their delivery log."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from casemgr.api.auth import api_user
from casemgr.channels.outbound import parse_networks
from casemgr.channels.webhooks import EVENT_TYPES, deliveries_of, disable_endpoint, endpoints_of, register_endpoint
from casemgr.db import get_session
from casemgr.errors import NotFoundError
from casemgr.web import now

blp = Blueprint("api_webhooks", __name__, description="Outbound webhooks")


class WebhookIn(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=500))
    events = fields.List(
        fields.String(validate=validate.OneOf(["*", *EVENT_TYPES.values()])),
        load_default=["*"],
        validate=validate.Length(min=1, max=10),
    )


class WebhookOut(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.Function(lambda e: e.events.split(","))
    created_at = fields.DateTime()


class WebhookCreated(WebhookOut):
    """Only the response to the endpoint's creation has its secret."""

    secret = fields.String(metadata={"description": "shown once: verify X-Casemgr-Signature with it"})


class DeliveryOut(Schema):
    id = fields.Integer()
    event_type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.response(200, WebhookOut(many=True))
    def get(self):
        """The organisation's endpoints."""
        return endpoints_of(get_session(), api_user())

    @blp.arguments(WebhookIn())
    @blp.response(201, WebhookCreated)
    def post(self, body):
        """Register an endpoint; deliveries carry `X-Casemgr-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">`."""
        endpoint, _secret = register_endpoint(
            get_session(),
            api_user(),
            url=body["url"],
            event_types=body["events"],
            now=now(),
            allowed_networks=parse_networks(current_app.config.get("WEBHOOK_ALLOWED_NETWORKS", "")),
        )
        return endpoint  # WebhookCreated: the secret is in this response only


@blp.route("/webhooks/<id:endpoint_id>")
class Webhook(MethodView):
    @blp.response(204)
    def delete(self, endpoint_id):
        """Disable an endpoint: nothing more is sent to it (pending deliveries are dropped); its log stays."""
        endpoint = disable_endpoint(get_session(), api_user(), endpoint_id, now())
        if endpoint is None:
            raise NotFoundError(f"No webhook endpoint {endpoint_id}.")


@blp.route("/webhooks/<id:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @blp.response(200, DeliveryOut(many=True))
    def get(self, endpoint_id):
        """The last 200 deliveries of one endpoint, newest first."""
        rows = deliveries_of(get_session(), api_user(), endpoint_id)
        if rows is None:
            raise NotFoundError(f"No webhook endpoint {endpoint_id}.")
        return rows
