"""The escalation operations of the REST API, plugged into the core's API."""

from __future__ import annotations

from datetime import datetime

from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api.auth import api_user
from casemgr.api.cases import case_or_404, represent
from casemgr.api.schemas import CaseSchema, EscalationRequestSchema
from casemgr.db import get_session
from casemgr.web import now
from escalation.services import Settings, escalation_path, request_escalation

blp = Blueprint("api_escalation", __name__, description="Escalation")


@blp.route("/cases/<number>/escalation-requests")
class EscalationRequests(MethodView):
    @blp.arguments(EscalationRequestSchema())
    @blp.response(201, CaseSchema)
    def post(self, body, number):
        """The customer's admin asks for escalation: one hierarchical level at once (rate-limited)."""
        case = case_or_404(number)
        request_escalation(
            get_session(), api_user(), case, reason=body["reason"], now=now(), settings=Settings.from_app()
        )
        return represent(case, now())


def next_escalation(session, case, at: datetime, just_opened: bool = False) -> dict:
    """For the case representation: the next step, when and what."""
    if not case.is_open:
        return {"next_escalation": None}
    path = escalation_path(session, case, at, Settings.from_app(), just_opened=just_opened)
    return {"next_escalation": {"at": path[0].due_at, "step": path[0].name, "what": path[0].what} if path else None}
