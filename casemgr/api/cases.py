"""Case operations of the API: open, list, read, comment, move, commit."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from casemgr.api.auth import api_user
from casemgr.api.errors import ApiError
from casemgr.api.schemas import (
    CaseCreateSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseSchema,
    CloseSchema,
    CommentSchema,
    CommitmentCreateSchema,
    CommitmentSchema,
    ConfirmSchema,
    EventListSchema,
    EventSchema,
    OwnerSchema,
    SeverityChangeSchema,
    StatusChangeSchema,
    WatcherCreateSchema,
    WatcherListSchema,
    WatcherSchema,
)
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.auth.roles import CUSTOMER_ROLES
from casemgr.auth.services import find_user_by_email
from casemgr.cases import comments, commitments, opening, services, watchers
from casemgr.cases.attachments import AttachmentStore, attachment_store
from casemgr.cases.models import Case
from casemgr.cases.queries import SORTS, QueueFilter, queue_conditions, readable_body, timeline
from casemgr.cases.rules import CaseRuleError
from casemgr.db import get_session
from casemgr.queue.rules import urgency
from casemgr.registry import registry_of
from casemgr.web import now

blp = Blueprint("api_cases", __name__, description="Support cases")


def _store() -> AttachmentStore:
    return attachment_store(current_app.config)


def case_or_404(number: str) -> Case:
    """The case if the caller may see it; ``NotFoundError`` (404 ``not_found``) otherwise."""
    return policy.get_case_for(get_session(), api_user(), number)


def represent(case: Case, at: datetime, *, just_opened: bool = False) -> dict[str, Any]:
    """The case as the API shows it. ``just_opened``: this request opened it, so it has no
    history yet (the extras need not read any)."""
    data: dict[str, Any] = {
        "number": case.number,
        "organization": case.organization.name,
        "asset_serial": case.asset.serial if case.asset else None,
        "component_serial": case.component.serial if case.component else None,
        "severity": case.severity,
        "status": case.status,
        "subject": case.subject,
        "description": case.description,
        "entitled": case.entitled,
        "owner": case.owner.email if case.owner else None,
        "tier": case.queue,
        "escalation_level": case.escalation_level,
        "version": case.version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "sla": {
            "first_response_due_at": case.first_response_due_at,
            "first_response_at": case.first_response_at,
            "first_response_breached": case.first_response_breached,
            "next_update_due_at": case.next_update_due_at,
            "resolution_due_at": case.resolution_due_at,
            "resolution_breached": case.resolution_breached,
            "paused": case.sla_paused_at is not None,
        },
        "next_escalation": None,
        "queue": None if api_user().is_customer else queue_fields(case, at),
    }
    for extra in registry_of().case_api_extras:
        data.update(extra(get_session(), case, at, just_opened))  # e.g. the next escalation step, from escalation/
    return data


def queue_fields(case: Case, at: datetime) -> dict[str, Any]:
    return {
        "next_due_at": case.next_due_at,
        "next_due_kind": case.next_due_kind,
        "at_risk_at": case.at_risk_at,
        "urgency": urgency(case.next_due_at, case.at_risk_at, at),
        "customer_escalated_at": case.customer_escalated_at,
    }


def _cursor(case: Case, sort: str) -> str:
    key = case.updated_at if sort == "updated" else case.next_due_at
    stamp = key.isoformat() if key is not None else ""
    return base64.urlsafe_b64encode(f"{sort}|{stamp}|{case.id}".encode()).decode()


def _parse_cursor(text: str, sort: str) -> tuple[datetime | None, int]:
    try:
        kind, stamp, ident = base64.urlsafe_b64decode(text.encode()).decode().split("|")
        if kind != sort or (not stamp and sort == "updated"):
            raise ValueError(kind)
        return (datetime.fromisoformat(stamp) if stamp else None), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "The cursor is not one this API returned for this sort.") from None


def _after_cursor(sort: str, stamp: datetime | None, ident: int):
    """Cases after the cursor in the sort's order."""
    if sort == "updated":
        return (Case.updated_at < stamp) | ((Case.updated_at == stamp) & (Case.id < ident))
    if stamp is None:  # among the cases with no running clock (sorted last)
        return Case.next_due_at.is_(None) & (Case.id > ident)
    return (Case.next_due_at > stamp) | ((Case.next_due_at == stamp) & (Case.id > ident)) | Case.next_due_at.is_(None)


@blp.route("/cases")
class Cases(MethodView):
    @blp.arguments(CaseQuerySchema(), location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args):
        """List the cases the caller may see (cursor pagination): most recently updated first, or
        with `sort=due` (vendor staff) most urgent first, the next SLA deadline ascending, cases
        with no running clock last. Vendor staff may filter by `breached`, `at_risk` and
        `escalated` (customer-escalated); everyone by `not_entitled` and `mine`."""
        session, user, at = get_session(), api_user(), now()
        vendor = not user.is_customer
        sort = args["sort"]
        if sort == "due" and not vendor:
            raise ApiError(400, "sort=due is for vendor staff; use sort=updated.")
        flt = QueueFilter(
            status=args.get("status", "open"),
            severity=args.get("severity"),
            organization_id=args.get("org"),
            mine=args.get("mine", False),
            breached=vendor and args.get("breached", False),
            at_risk=vendor and args.get("at_risk", False),
            escalated=vendor and args.get("escalated", False),
            not_entitled=args.get("not_entitled", False),
        )
        stmt = select(Case).where(*queue_conditions(user, flt, at))
        if "updated_since" in args:
            since = args["updated_since"]
            if since.tzinfo is None:
                raise ApiError(400, "updated_since needs a time zone offset, e.g. 2026-11-02T09:00:00Z.")
            stmt = stmt.where(Case.updated_at >= since)
        if args.get("cursor"):
            stmt = stmt.where(_after_cursor(sort, *_parse_cursor(args["cursor"], sort)))
        order = (Case.updated_at.desc(), Case.id.desc()) if sort == "updated" else SORTS["due"]
        limit = args["limit"]
        rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
        return {
            "items": [represent(c, at) for c in rows[:limit]],
            "next_cursor": _cursor(rows[limit - 1], sort) if len(rows) > limit else None,
        }

    @blp.arguments(CaseCreateSchema())
    @blp.response(201, CaseSchema)
    def post(self, body):
        """Open a case; it is accepted even without an active contract (flagged not entitled)."""
        session, user = get_session(), api_user()
        case = opening.open_case(
            session,
            user,
            _store(),
            asset_serial=body["asset_serial"],
            severity=body["severity"],
            subject=body["subject"],
            description=body["description"],
            component_serial=body.get("component_serial"),
            now=now(),
            channel="api",
        )
        return represent(case, now(), just_opened=True)


@blp.route("/cases/<number>")
class CaseItem(MethodView):
    @blp.response(200, CaseSchema)
    def get(self, number):
        """One case with its SLA clocks and the next escalation step."""
        return represent(case_or_404(number), now())


@blp.route("/cases/<number>/comments")
class Comments(MethodView):
    @blp.arguments(CommentSchema())
    @blp.response(201, EventSchema)
    def post(self, body, number):
        """Reply (public) or add an internal note. Unsafe instructions are refused with 422 `safety_guard`."""
        case = case_or_404(number)
        event = comments.add_comment(
            get_session(),
            api_user(),
            _store(),
            case,
            body=body["body"],
            public=body["public"],
            now=now(),
            channel="api",
        )
        return _event(event)


def _event(e) -> dict[str, Any]:
    data = e.data or {}
    return {
        "id": e.id,
        "kind": e.kind,
        "public": e.public,
        "actor": e.actor.email if e.actor else None,
        "body": readable_body(e),
        "from_": data.get("from"),
        "to": data.get("to"),
        "created_at": e.created_at,
    }


@blp.route("/cases/<number>/events")
class Events(MethodView):
    @blp.response(200, EventListSchema)
    def get(self, number):
        """The timeline; customers receive public entries only."""
        case = case_or_404(number)
        return {"items": [_event(e) for e in timeline(get_session(), api_user(), case)]}


@blp.route("/cases/<number>/owner")
class Owner(MethodView):
    @blp.arguments(OwnerSchema())
    @blp.response(200, CaseSchema)
    def post(self, body, number):
        """Take the case (no `owner`) or hand it to another active support engineer or manager."""
        case = case_or_404(number)
        session, user = get_session(), api_user()
        owner = find_user_by_email(session, body["owner"]) if body["owner"] else user
        services.assign_owner(
            session,
            user,
            case,
            owner_id=owner.id if owner is not None else -1,  # unknown: refused like any unfit owner
            expected_version=body["version"],
            now=now(),
        )
        return represent(case, now())


@blp.route("/cases/<number>/close")
class Close(MethodView):
    @blp.arguments(CloseSchema())
    @blp.response(200, CaseSchema)
    def post(self, body, number):
        """Close with a reason (the same rules as the case page): `end_of_support` records the hand-off to
        the organisation's account manager; a case on an uncovered or unsupported asset closes only that way
        (or by the customer's confirmation)."""
        case = case_or_404(number)
        session, user = get_session(), api_user()
        manager_id = None
        if body["handoff_account_manager"]:
            manager = find_user_by_email(session, body["handoff_account_manager"])
            manager_id = manager.id if manager is not None else -1  # unknown: refused as not the org's manager
        services.close_case(
            session,
            user,
            case,
            reason=body["reason"],
            note=body["note"],
            expected_version=body["version"],
            now=now(),
            handoff_manager_id=manager_id,
            handoff_path=body["handoff_path"],
        )
        return represent(case, now())


@blp.route("/cases/<number>/confirm")
class Confirm(MethodView):
    @blp.arguments(ConfirmSchema())
    @blp.response(200, CaseSchema)
    def post(self, body, number):
        """The customer confirms the resolution and the case closes (the case page's rules: only the
        case's organisation, only a resolved case, the version you saw)."""
        case = case_or_404(number)
        services.confirm_resolution(get_session(), api_user(), case, expected_version=body["version"], now=now())
        return represent(case, now())


@blp.route("/cases/<number>/status")
class Status(MethodView):
    @blp.arguments(StatusChangeSchema())
    @blp.response(200, CaseSchema)
    def post(self, body, number):
        """Change the status; `version` must be the one you read (409 otherwise)."""
        case = case_or_404(number)
        session, user = get_session(), api_user()
        if body["status"] == "closed":
            services.close_case(
                session, user, case, reason="resolved", note=body["note"], expected_version=body["version"], now=now()
            )
        else:
            services.change_status(
                session,
                user,
                case,
                new_status=body["status"],
                expected_version=body["version"],
                now=now(),
                note=body["note"],
            )
        return represent(case, now())


@blp.route("/cases/<number>/severity")
class Severity(MethodView):
    @blp.arguments(SeverityChangeSchema())
    @blp.response(200, CaseSchema)
    def post(self, body, number):
        """Change the severity; the SLA targets are recomputed, keeping pauses (409 on a stale version)."""
        case = case_or_404(number)
        services.change_severity(
            get_session(),
            api_user(),
            case,
            severity=body["severity"],
            expected_version=body["version"],
            now=now(),
            reason=body["reason"],
        )
        return represent(case, now())


@blp.route("/cases/<number>/commitments")
class Commitments(MethodView):
    @blp.arguments(CommitmentCreateSchema())
    @blp.response(201, CommitmentSchema)
    def post(self, body, number):
        """Record a promise to the customer; a missed one escalates."""
        case = case_or_404(number)
        session, user = get_session(), api_user()
        owner = user
        if body.get("owner_email"):
            named = session.scalar(select(User).where(User.email == body["owner_email"].lower()))
            if named is None:
                raise CaseRuleError(f"No user {body['owner_email']}.")
            owner = named
        return commitments.record_commitment(
            session,
            user,
            case,
            description=body["description"],
            recipient=body["recipient"],
            owner_id=owner.id,
            due_at=body["due_at"],
            now=now(),
        )


def _watcher(w) -> dict[str, Any]:
    return {
        "email": w.user.email,
        "name": w.user.name,
        "side": "customer" if w.user.role in CUSTOMER_ROLES else "vendor",
        "added_at": w.created_at,
    }


@blp.route("/cases/<number>/watchers")
class Watchers(MethodView):
    @blp.response(200, WatcherListSchema)
    def get(self, number):
        """Who watches the case besides its opener and owner (customers see their own organisation's)."""
        case, user = case_or_404(number), api_user()
        items = watchers.watchers_of(get_session(), case)
        if user.role in CUSTOMER_ROLES:
            items = [w for w in items if w.user.role in CUSTOMER_ROLES]
        return {"items": [_watcher(w) for w in items]}

    @blp.arguments(WatcherCreateSchema())
    @blp.response(201, WatcherSchema)
    def post(self, body, number):
        """Add a watcher by e-mail address: customers add people of their own organisation, support
        staff anyone who may read the case, others only themselves."""
        case = case_or_404(number)
        watcher = watchers.add_watcher(get_session(), api_user(), case, email=body["email"], now=now())
        return _watcher(watcher)


@blp.route("/cases/<number>/watchers/<email>")
class Watcher(MethodView):
    @blp.response(204)
    def delete(self, number, email):
        """Remove a watcher (same rules as adding)."""
        case = case_or_404(number)
        watchers.remove_watcher(get_session(), api_user(), case, email=email, now=now())
