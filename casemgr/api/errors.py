"""The one error shape of the API, and its translation from domain errors."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import Schema, fields

ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "validation_error", 429: "rate_limited", 500: "internal_error"}


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


class ApiError(Exception):
    """Raised in API views; rendered by the app's handler as the error shape."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.details = status, message, code, details
