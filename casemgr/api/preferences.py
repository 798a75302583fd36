"""The caller's own notification preferences: how they hear of each kind of case change."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api.auth import api_user
from casemgr.api.schemas import PreferencesSchema, PreferencesUpdateSchema
from casemgr.db import get_session
from casemgr.notifications.preferences import KINDS, preferences_of, set_preferences
from casemgr.web import now

blp = Blueprint("api_preferences", __name__, description="Notification preferences")


def _represent(prefs: dict[str, str]) -> dict[str, Any]:
    return {"preferences": prefs, "kinds": dict(KINDS), "severity_1_always_immediate": True}


@blp.route("/me/notification-preferences")
class Preferences(MethodView):
    @blp.response(200, PreferencesSchema)
    def get(self):
        """Your mode per kind: `immediate`, `digest` (one e-mail a day) or `in_app` (no e-mail).
        In-app messages always appear at once; Severity 1 cases always e-mail at once."""
        return _represent(preferences_of(get_session(), api_user()))

    @blp.arguments(PreferencesUpdateSchema())
    @blp.response(200, PreferencesSchema)
    def put(self, body):
        """Change the modes of the kinds named; an unknown kind or mode is refused with 422."""
        return _represent(set_preferences(get_session(), api_user(), body["preferences"], now()))
