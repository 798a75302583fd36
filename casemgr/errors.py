"""The domain errors: what services refuse, and what each refusal means over HTTP.

Every error a service raises on purpose is a :class:`DomainError`. Its class says
the HTTP status and the API error code, once, for every edge:

* the API answers ``{"error": {"code", "message", "details"}}`` with that status
  (the app's one handler, ``casemgr.app``);
* an HTML form re-renders its page with the message, the form as posted and the
  same status (``casemgr.web.form_action``); any other page shows the error page;
* the CLI and the mail channel print or log the message.

Either way the request's session is rolled back once, by the edge
(``casemgr.web.rollback_request_session``): views never roll back themselves.

=====================  ======  =================  ===========================================
class                  status  code               meaning
=====================  ======  =================  ===========================================
``NotFoundError``      404     ``not_found``      missing, or not visible to the actor
``ForbiddenError``     403     ``forbidden``      visible, but the actor may not do this
``ConflictError``      409     ``conflict``       changed by someone else since it was read
``TransitionError``    409     ``conflict``       a state move the state machine refuses
``RuleError``          422     ``rule_violation`` a business rule refuses the request
``InvalidInput``       422     ``validation_error`` the request's fields are not usable
``SafetyRefused``      422     ``safety_guard``   the safety guard blocked it
=====================  ======  =================  ===========================================

The area names stay: ``CaseRuleError`` (``casemgr.cases.rules``), ``UserError``
(``casemgr.auth.services``) and ``RmaRuleError`` (``rma.rules``) are rule errors,
``SafetyBlocked`` (``casemgr.safety.services``) is the safety guard's refusal and
``TransitionRefused`` (``rma.states``) the RMA state machine's.

Each class also keeps the built-in exception it always was (``ValueError`` for rule
errors, ``LookupError``, ``PermissionError``, ``RuntimeError``), so an ``except``
written against those still catches what it did.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a service raises on purpose; the message is shown to the user as it is.

    ``status`` and ``code`` are class attributes (the HTTP status and the API error
    code); ``details`` is JSON-ready data the API sends along (``None`` by default).
    """

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str = "", *, details: Any = None) -> None:
        super().__init__(message)
        self._details = details

    @property
    def message(self) -> str:
        return str(self)

    @property
    def details(self) -> Any:
        return getattr(self, "_details", None)


class NotFoundError(DomainError, LookupError):
    """Missing, or not visible to the actor: both answer 404 so nothing leaks."""

    status, code = 404, "not_found"


class ForbiddenError(DomainError, PermissionError):
    """The actor can see the object but may not do this to it (403)."""

    status, code = 403, "forbidden"


class ConflictError(DomainError, RuntimeError):
    """Someone else changed the object since the actor read it (409)."""

    status, code = 409, "conflict"


class TransitionError(ConflictError):
    """A state move the state machine does not allow from the current state (409).

    ``current`` and ``allowed`` name the state the object is in and the states it
    may move to next (strings or enum members); the API sends them as the details.
    """

    def __init__(self, message: str = "", *, current: Any = None, allowed: Any = ()) -> None:
        super().__init__(message)
        self.current, self.allowed = current, tuple(allowed)

    @property
    def details(self) -> Any:
        return {"current": _name(self.current), "allowed": [_name(s) for s in self.allowed]}


def _name(state: Any) -> Any:
    return getattr(state, "value", state)


class RuleError(DomainError, ValueError):
    """A request that the business rules refuse (422)."""

    status, code = 422, "rule_violation"


class InvalidInput(DomainError, ValueError):
    """Fields of the request that cannot be used as sent (422); ``details`` maps each
    field to its messages, as the API's schema errors do."""

    status, code = 422, "validation_error"


class SafetyRefused(DomainError):
    """Refused by the safety guard (422): the details name each rule and its safe alternative.

    Raised as ``casemgr.safety.services.SafetyBlocked``, after the refusal was recorded.
    """

    status, code = 422, "safety_guard"
