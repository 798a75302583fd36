"""The one error shape of the API, and its translation from domain errors.

Every :class:`~casemgr.errors.DomainError` a route lets through (a service's refusal,
or an :class:`ApiError` of the API's own) is answered by the app's one handler
(``casemgr.app``) with :func:`domain_error_response`: its status, and
``{"error": {"code", "message", "details"}}``. Routes call services directly; they
neither catch domain errors nor roll back.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import Schema, fields

from casemgr.errors import DomainError

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
}


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Raw(allow_none=True)


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def error_response(status: int, message: str, *, code: str | None = None, details: Any = None):
    body = {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message, "details": details}}
    response = jsonify(body)
    response.status_code = status
    return response


def domain_error_response(error: DomainError):
    return error_response(error.status, error.message, code=error.code, details=error.details)


class ApiError(DomainError):
    """An error of the API itself, with no domain class of its own (401 no token, 400 a bad
    cursor); the status is the instance's. Domain refusals raise their own classes."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.status, self.code = status, code or ERROR_CODES.get(status, "error")
