"""Errors that services raise and the edges translate (404, 409, form errors)."""
from __future__ import annotations


class NotFoundError(LookupError):
    """Missing, or not visible to the actor: both answer 404 so nothing leaks."""


class ForbiddenError(PermissionError):
    """The actor can see the object but may not do this to it (403)."""


class ConflictError(RuntimeError):
    """Someone else changed the object since the actor read it (409)."""
