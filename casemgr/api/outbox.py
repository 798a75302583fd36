"""The e-mail outbox for support managers and admins: what waits, what fails, retry or discard."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from casemgr.api.auth import api_user
from casemgr.db import get_session
from casemgr.notifications import outbox
from casemgr.web import now

blp = Blueprint(
    "api_outbox", __name__, description="The e-mail outbox (support managers, admins): depth, failures, retry, discard"
)


class OutboxMessageOut(Schema):
    id = fields.Integer()
    to = fields.String(attribute="email")
    subject = fields.String()
    case_id = fields.Integer(allow_none=True)
    severity = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "pending, sent or discarded"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    message_id = fields.String(allow_none=True)
    discarded_at = fields.DateTime(allow_none=True)
    discarded_by_id = fields.Integer(allow_none=True)


class FailingOut(OutboxMessageOut):
    """An outbox entry: the message's fields and the number of its case."""

    case_number = fields.String(allow_none=True)

    def get_attribute(self, obj, attr, default):
        return super().get_attribute(obj if attr == "case_number" else obj.notification, attr, default)


class OutboxOut(Schema):
    depth = fields.Integer(metadata={"description": "pending e-mails"})
    oldest_pending_at = fields.DateTime(allow_none=True)
    oldest_age_seconds = fields.Integer(allow_none=True)
    failing = fields.List(fields.Nested(FailingOut), metadata={"description": "pending, last attempt failed"})


@blp.route("/outbox")
class Outbox(MethodView):
    @blp.response(200, OutboxOut)
    def get(self):
        """Depth, age of the oldest pending e-mail, and the failing ones (most attempts first)."""
        state = outbox.outbox_state(get_session(), api_user(), now())
        return {
            "depth": state.depth,
            "oldest_pending_at": state.oldest_pending_at,
            "oldest_age_seconds": int(state.oldest_age.total_seconds()) if state.oldest_age is not None else None,
            "failing": state.failing,
        }


@blp.route("/outbox/<id:notification_id>/retry")
class Retry(MethodView):
    @blp.response(200, OutboxMessageOut)
    def post(self, notification_id):
        """Make a pending e-mail due now; 409 if it was already sent or discarded."""
        return outbox.retry_now(get_session(), api_user(), notification_id, now())


@blp.route("/outbox/<id:notification_id>/discard")
class Discard(MethodView):
    @blp.response(200, OutboxMessageOut)
    def post(self, notification_id):
        """Give up on a pending e-mail (kept, marked discarded with who and when); 409 if not pending."""
        return outbox.discard(get_session(), api_user(), notification_id, now())
