"""The RMA operations of the REST API, plugged into the core's API by rma.init_app."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from casemgr.api.auth import api_user
from casemgr.api.cases import case_or_404
from casemgr.api.schemas import JsonBoolean, Version
from casemgr.assets.models import Component, Part
from casemgr.assets.serials import serial_key
from casemgr.auth.models import User
from casemgr.cases.rules import CaseRuleError
from casemgr.db import get_session
from casemgr.errors import InvalidInput, TransitionError
from casemgr.web import now
from rma import corrections, dispatch, queries, returns, services
from rma.models import Rma
from rma.states import RmaState, allowed_next

blp = Blueprint("api_rmas", __name__, description="RMAs (replacement parts)")
STATES = [s.value for s in RmaState]
Text = lambda n, **kw: fields.String(validate=validate.Length(max=n), **kw)  # noqa: E731


class RmaCreate(Schema):
    case_number = fields.String(required=True, validate=validate.Length(min=1, max=16))
    component_serial = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(
        required=True, validate=validate.OneOf(("advance_replacement", "return_and_replace", "onsite_dispatch"))
    )
    part_number = Text(64, metadata={"description": "replacement part (default: the same part)"})
    disposition = fields.String(validate=validate.OneOf(("return", "retained", "certified_destruction")))
    problem = Text(
        2000,
        load_default="",
        metadata={
            "description": "what failed and what the customer sees: required (a blank one is a 422 rule_violation, "
            "nothing is marked failed)"
        },
    )


class ShipmentOut(Schema):
    direction = fields.String()
    carrier = fields.String()
    tracking = fields.String()
    shipped_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class AnalysisOut(Schema):
    expected_serial = fields.String(metadata={"description": "the failed component's serial"})
    returned_serial = fields.String(metadata={"description": "the serial that arrived"})
    serial_matches = fields.Boolean()
    received_at = fields.DateTime()
    result = fields.String(allow_none=True)
    failure_code = fields.String()


class CorrectionOut(Schema):
    by = fields.String(attribute="actor.email", allow_none=True)
    at = fields.DateTime(attribute="created_at")
    reason = fields.String()
    restored_state = fields.String()
    rma_cancelled = fields.Boolean(attribute="cancelled_source")
    quarantine_lifted = fields.Boolean()


class RmaOut(Schema):
    number = fields.String()
    case_number = fields.String(attribute="case.number")
    asset_serial = fields.String(attribute="asset.serial")
    failed_serial = fields.String(attribute="failed_component.serial")
    slot = fields.String(attribute="failed_component.slot")
    failed_component_state = fields.String(attribute="failed_component.state")
    problem = fields.String()
    replacement_part = fields.String(attribute="replacement_part.part_number")
    kind = fields.String()
    state = fields.String()
    disposition = fields.String()
    needs_approval = fields.Boolean()
    field_engineer = fields.String(attribute="field_engineer.email", allow_none=True)
    installed_serial = fields.String(attribute="installed_component.serial", allow_none=True)
    return_due_at = fields.DateTime(allow_none=True)
    allowed_next = fields.Function(lambda r: [s.value for s in allowed_next(r.kind, r.state)])
    version = fields.Integer()
    shipments = fields.List(fields.Nested(ShipmentOut))
    analysis = fields.Nested(AnalysisOut, allow_none=True)
    correction = fields.Function(
        lambda r: CorrectionOut().dump(c) if (c := corrections.correction_of(get_session(), r)) else None,
        metadata={"description": "a support manager's correction of a mistaken failed mark, or null"},
    )


class TransitionIn(Schema):
    """Move the RMA to ``to``; the other fields are what that step records."""

    to = fields.String(required=True, validate=validate.OneOf(STATES))
    version = Version(required=True)
    carrier = Text(64)
    tracking = Text(64)
    serial = Text(64, metadata={"description": "installed: the new part's serial"})
    returned_serial = Text(64, metadata={"description": "returned: the serial that arrived"})
    confirm_serial_mismatch = JsonBoolean(
        load_default=False,
        metadata={
            "description": "returned: true to record a serial other than the failed one (otherwise 422 rule_violation "
            "naming both serials)"
        },
    )
    result = fields.String(validate=validate.OneOf(("confirmed", "no_fault_found")))
    failure_code = Text(64, load_default="")
    engineer_email = fields.Email(metadata={"description": "dispatched: the field engineer"})
    window_start = fields.AwareDateTime(default_timezone=None)
    window_end = fields.AwareDateTime(default_timezone=None)
    note = Text(2000, load_default="")


class CorrectionIn(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "why the failed mark was a mistake (public on the case)"},
    )
    version = Version(required=True)


class ShipmentIn(Schema):
    direction = fields.String(required=True, validate=validate.OneOf(("out", "return")))
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=64))
    tracking = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = Version(required=True)


def rma_or_404(number: str) -> Rma:
    """The RMA if the caller may see it; ``NotFoundError`` (404) otherwise."""
    return queries.get_rma_for(get_session(), api_user(), number)


def _need(body: dict, *names: str) -> list[Any]:
    missing = [n for n in names if not body.get(n)]
    if missing:
        raise InvalidInput(
            f"Moving to {body['to']!r} needs {', '.join(missing)}.",
            details={n: ["Missing data for this step."] for n in missing},
        )
    return [body[n] for n in names]


#: What each move records, besides ``to`` and ``version``: any other field of TransitionIn sent
#: with a move is refused (422), never silently dropped. A note is taken where the move keeps
#: it: an approval's reason, a cancellation's reason and an analysis's notes go on the case's
#: public timeline, read by the safety guard first (``rma.lifecycle.record_move``); an
#: installation's notes go on the field visit (internal), so only when there is one.
MOVE_FIELDS: dict[str, frozenset[str]] = {
    "approved": frozenset({"note"}),
    "shipped": frozenset({"carrier", "tracking"}),
    "delivered": frozenset(),
    "dispatched": frozenset({"engineer_email", "window_start", "window_end"}),
    "on_site": frozenset(),
    "installed": frozenset({"serial", "note"}),
    "return_pending": frozenset({"carrier", "tracking"}),
    "returned": frozenset({"returned_serial", "confirm_serial_mismatch"}),
    "analysed": frozenset({"result", "failure_code", "note"}),
    "retained": frozenset(),
    "closed": frozenset(),
    "cancelled": frozenset({"note"}),
}
_STEP_FIELDS = ("note", *sorted({name for names in MOVE_FIELDS.values() for name in names} - {"note"}))


def _sent(value: Any) -> bool:
    """Whether a field carries something (its defaults, "" and false, carry nothing)."""
    return value is not None and value is not False and not (isinstance(value, str) and not value.strip())


def _refuse_unused(rma: Rma, body: dict) -> None:
    """A field the move would not record is a 422 naming it, before anything changes."""
    to = body["to"]
    if to not in MOVE_FIELDS:  # a move no state reaches this way: the state machine's 409 says so
        return
    accepted = MOVE_FIELDS[to]
    if to == "installed" and rma.current_dispatch is None:
        accepted = accepted - {"note"}  # no field visit to keep it on
    unused = [name for name in _STEP_FIELDS if name not in accepted and _sent(body.get(name))]
    if not unused:
        return
    takes = ", ".join(sorted(accepted)) or "nothing but `to` and `version`"
    if unused == ["note"]:
        where = sorted(m for m, names in MOVE_FIELDS.items() if "note" in names)
        message = (
            f"A note is not accepted for this move (to {to!r}): it would not be recorded. Notes are kept when"
            f" moving to {', '.join(where)} (installed: with a field visit); this move takes {takes}."
        )
    else:
        message = (
            f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not accepted for this move (to {to!r}):"
            f" it would not be recorded. This move takes {takes}."
        )
    raise InvalidInput(message, details={name: [f"Not accepted when moving to {to!r}."] for name in unused})


def _transition(session, user, rma: Rma, body: dict):
    _refuse_unused(rma, body)
    to, kw = body["to"], {"now": now(), "expected_version": body["version"]}
    if to == "approved":
        return services.approve(session, user, rma, note=body["note"], **kw)
    if to == "shipped":
        carrier, tracking = _need(body, "carrier", "tracking")
        return services.ship_replacement(session, user, rma, carrier=carrier, tracking=tracking, **kw)
    if to == "delivered":
        return services.deliver_replacement(session, user, rma, **kw)
    if to == "dispatched":
        email, start, end = _need(body, "engineer_email", "window_start", "window_end")
        engineer = session.scalar(select(User).where(User.email == email.lower()))
        if engineer is None:
            raise CaseRuleError(f"No user {email}.")
        return dispatch.schedule_dispatch(
            session, user, rma, engineer_id=engineer.id, window_start=start, window_end=end, **kw
        )
    if to == "on_site":
        return dispatch.record_arrival(session, user, rma, **kw)
    if to == "installed":
        (serial,) = _need(body, "serial")
        return services.install(
            session,
            user,
            rma,
            serial=serial,
            notes=body["note"],
            channel="api",
            return_days=current_app.config.get("RMA_RETURN_DAYS", services.DEFAULT_RETURN_DAYS),
            **kw,
        )
    if to == "return_pending":
        carrier, tracking = _need(body, "carrier", "tracking")
        return returns.ship_return(session, user, rma, carrier=carrier, tracking=tracking, **kw)
    if to == "returned":
        (serial,) = _need(body, "returned_serial")
        # An unconfirmed serial mismatch is a 422 whose details say how to confirm.
        return returns.receive_return(
            session, user, rma, returned_serial=serial, confirm_mismatch=body["confirm_serial_mismatch"], **kw
        )
    if to == "analysed":
        (result,) = _need(body, "result")
        return returns.analyse(
            session, user, rma, result=result, failure_code=body["failure_code"], notes=body["note"], **kw
        )
    if to == "retained":
        return returns.retain(session, user, rma, **kw)
    if to == "closed":
        return services.close(session, user, rma, **kw)
    if to == "cancelled":
        return services.cancel(session, user, rma, reason=body["note"] or "cancelled through the API", **kw)
    allowed = allowed_next(rma.kind, rma.state)
    raise TransitionError(
        f"RMA is {rma.state!r}; it cannot move to {to!r} directly. Allowed next: "
        f"{', '.join(s.value for s in allowed) or 'none'}.",
        current=rma.state,
        allowed=allowed,
    )


@blp.route("/rmas")
class Rmas(MethodView):
    @blp.arguments(RmaCreate())
    @blp.response(201, RmaOut)
    def post(self, body):
        """Open an RMA from a case for one of its asset's components (support staff)."""
        session, user = get_session(), api_user()
        case = case_or_404(body["case_number"])
        component_id = session.scalar(
            select(Component.id).where(
                Component.asset_id == case.asset_id,
                Component.serial_key == serial_key(body["component_serial"]),
                Component.state != "removed",
            )
        )
        if component_id is None:
            raise CaseRuleError(f"{body['component_serial']} is not installed in this case's asset.")
        part_id = None
        if body.get("part_number"):
            part_id = session.scalar(select(Part.id).where(Part.part_number == body["part_number"]))
            if part_id is None:
                raise CaseRuleError(f"No part {body['part_number']}.")
        return services.open_rma(
            session,
            user,
            case,
            component_id=component_id,
            part_id=part_id,
            kind=body["kind"],
            disposition=body.get("disposition"),
            problem=body["problem"],
            now=now(),
        )


@blp.route("/rmas/<number>")
class RmaItem(MethodView):
    @blp.response(200, RmaOut)
    def get(self, number):
        """One RMA with its shipments and the states it may move to next."""
        return rma_or_404(number)


@blp.route("/rmas/<number>/transitions")
class Transitions(MethodView):
    @blp.arguments(TransitionIn())
    @blp.response(200, RmaOut)
    def post(self, body, number):
        """Move the RMA; a move the state machine does not allow is a 409 naming the allowed states."""
        rma = rma_or_404(number)
        _transition(get_session(), api_user(), rma, body)
        return rma_or_404(number)


@blp.route("/rmas/<number>/shipments")
class Shipments(MethodView):
    @blp.response(200, ShipmentOut(many=True))
    def get(self, number):
        """Outbound replacement and return of the defective part, with carriers and tracking numbers."""
        return rma_or_404(number).shipments

    @blp.arguments(ShipmentIn())
    @blp.response(201, RmaOut)
    def post(self, body, number):
        """Record a shipment: ``out`` ships the replacement, ``return`` sends the defective part back."""
        rma = rma_or_404(number)
        to = "shipped" if body["direction"] == "out" else "return_pending"
        _transition(get_session(), api_user(), rma, {**body, "to": to, "note": ""})
        return rma_or_404(number)


@blp.route("/rmas/<number>/correction")
class Correction(MethodView):
    @blp.arguments(CorrectionIn())
    @blp.response(200, RmaOut)
    def post(self, body, number):
        """Correct a component this RMA marked failed by mistake (support managers and admins).

        Only while the RMA has shipped nothing (requested, approved, or cancelled before any shipment), and
        never once the part was removed. Cancels the RMA if it is still open, gives the component back the
        state it had before, lifts the quarantine this RMA set, and states the correction and its reason on
        the case's public timeline. 403 for other roles, 409 on a stale `version`, 422 `rule_violation`
        naming why the correction is refused otherwise."""
        rma = rma_or_404(number)
        corrections.correct_failed_mark(
            get_session(), api_user(), rma, reason=body["reason"], now=now(), expected_version=body["version"]
        )
        return rma_or_404(number)
