"""REST API v1: JSON under /api/v1, personal access tokens, an OpenAPI document
generated from the code (flask-smorest + marshmallow), one error shape.

Every error is ``{"error": {"code", "message", "details"}}`` with a 4xx status.
Routes call the same services as the web pages, with the same scoping.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from casemgr.api.errors import ErrorEnvelopeSchema

API_PREFIX = "/api/v1"


class CasemgrApi(Api):
    """flask-smorest's Api with Casemgr's error envelope documented.

    flask-smorest registers its own JSON handler for ``HTTPException`` when it is
    initialised; the app factory then registers Casemgr's (``casemgr.app``: the
    envelope under /api/, HTML pages elsewhere) with ``app.errorhandler``, which
    replaces it: Flask keeps one handler per exception class.
    """

    ERROR_SCHEMA = ErrorEnvelopeSchema


def init_api(app: Flask) -> CasemgrApi:
    from casemgr.api import (
        admin,
        alerts,
        assets,
        attachments,
        calendars,
        cases,
        docs,
        outbox,
        preferences,
        queue,
        search,
        setup,
        users,
        webhooks,
    )

    app.config.update(
        API_TITLE="Casemgr API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Enterprise support cases, escalation and RMAs. Authenticate with "
                "`Authorization: Bearer <personal access token>`."
            },
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api = CasemgrApi(app)
    from casemgr.web import IdConverter

    api.register_converter(IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})
    for blp in (
        assets.blp,
        cases.blp,
        attachments.blp,
        alerts.blp,
        webhooks.blp,
        admin.blp,
        setup.blp,
        users.blp,
        calendars.blp,
        outbox.blp,
        preferences.blp,
        queue.blp,
        search.blp,
    ):
        plug_in(app, api, blp)
    app.register_blueprint(docs.bp)
    return api


def plug_in(app: Flask, api: Api, blp) -> None:
    """Register an API blueprint (the core's, or one an area put in the registry): token
    auth, no CSRF (no cookies are read), the /api/v1 prefix.

    The token check is this app's own before-request function for the blueprint (Flask's
    ``before_request_funcs``, scoped by blueprint name), not one added to the blueprint
    object, which every app a process creates shares."""
    from casemgr.api.auth import require_token
    from casemgr.extensions import csrf

    csrf.exempt(blp)
    api.register_blueprint(blp, url_prefix=API_PREFIX)
    app.before_request_funcs.setdefault(blp.name, []).append(require_token)
