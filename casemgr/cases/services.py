"""Case use cases. Each function checks policy, applies the rules, appends to
the timeline, publishes its domain event and commits once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from casemgr import events
from casemgr.assets.models import Asset, Component
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, can_open_cases
from casemgr.bulk import insert_at_commit
from casemgr.cases import rules, timeline
from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.watchers import tell, who
from casemgr.concurrency import detect_conflicts
from casemgr.contracts.coverage import pick_active
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan, contract_asset
from casemgr.db import insert_one
from casemgr.errors import ConflictError, ForbiddenError
from casemgr.notifications.links import case_link
from casemgr.notifications.services import notify
from casemgr.numbering import next_value
from casemgr.organizations.models import AccountAssignment, Organization, Site
from casemgr.queue.deadlines import apply_deadline
from casemgr.registry import registry_for
from casemgr.safety import services as safety

_EVENTS = CaseEvent.__table__


def _insert_events(session: Session, rows: list[dict[str, Any]], *, want_id: bool) -> int | None:
    """A new case's first timeline entries as plain rows: nothing reads them back before the
    commit, so they wait for it (:func:`insert_at_commit`), written with its other queued
    rows. With ``want_id`` (attachments hang on the first entry) they are inserted at once
    instead, and the first entry's id is returned."""
    if want_id:
        return (
            session.execute(insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True), rows)
            .scalars()
            .first()
        )
    insert_at_commit(session, _EVENTS, rows)
    return None


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise ConflictError(
            f"{case.number} was changed by someone else since you opened it (your copy is version"
            f" {expected_version}, the case is now at version {case.version}). Reload to see the change,"
            " then try again."
        )


def _attach(
    session: Session,
    store: AttachmentStore,
    case: Case,
    event: CaseEvent | int | None,
    actor: User | None,
    uploads: Sequence[Upload],
    now: datetime,
) -> None:
    """``event``: the timeline entry the files come with, or its id."""
    link = {"event_id": event} if isinstance(event, int) else {"event": event}
    for upload in uploads:
        stored = store.save(upload)
        session.add(
            Attachment(
                case_id=case.id,
                filename=stored.filename,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by_id=actor.id if actor else None,
                created_at=now,
                **link,
            )
        )


@cache
def _asset_query(scope: str) -> Any:
    """Asset, organisation, site, and each contract of the asset with its plan and calendar,
    in one ORM query, built once per scope (:func:`policy.scope_of`) and run for any actor
    with :func:`policy.scope_params`: a reused statement keeps its cache key."""
    return (
        select(Asset, Organization, Site, Contract, SupportPlan, BusinessCalendar)
        .join(Organization, Organization.id == Asset.organization_id)
        .join(Site, Site.id == Asset.site_id)
        .outerjoin(contract_asset, contract_asset.c.asset_id == Asset.id)
        .outerjoin(Contract, Contract.id == contract_asset.c.contract_id)
        .outerjoin(SupportPlan, SupportPlan.id == Contract.plan_id)
        .outerjoin(BusinessCalendar, BusinessCalendar.id == SupportPlan.calendar_id)
        .where(Asset.serial == bindparam("serial"), policy.org_filter_template(Asset.organization_id, scope))
        .order_by(Contract.ends_on.desc())
    )


def _asset_and_contract(session: Session, actor: User, serial: str, on: date) -> tuple[Asset, Contract | None] | None:
    """The asset ``actor`` may open a case on (scoped as :func:`policy.get_asset_for`) and
    the contract covering it on ``on`` (as :func:`casemgr.contracts.services.active_contract_for`),
    in one query on the path of every case opened.

    The organisation, site, plan and calendar come with it, loaded: the case's
    representation names the organisation, the SLA clocks read the plan, its
    calendar and the site's time zone. One row per contract of the asset (a
    handful), or one without contract.
    """
    rows = session.execute(_asset_query(policy.scope_of(actor)), {"serial": serial, **policy.scope_params(actor)}).all()
    if not rows:
        return None
    asset, org, site = rows[0][:3]
    set_committed_value(asset, "organization", org)
    set_committed_value(asset, "site", site)
    contracts = []
    for _asset, _org, _site, contract, plan, calendar in rows:
        if contract is not None:
            set_committed_value(plan, "calendar", calendar)
            set_committed_value(contract, "plan", plan)
            contracts.append(contract)
    return asset, pick_active(contracts, on)


def _insert_case(session: Session, case: Case, now: datetime, **loaded: Any) -> None:
    """The one way a case is written, whatever the channel (then :func:`_first_entries`):
    the app's case timer gives its SLA due times, it takes the next number, one INSERT
    writes it (:func:`casemgr.db.insert_one`: the unit of work's flush would cost more
    than the SQL).

    ``case`` is a new :class:`Case` with everything but its number, SLA times and id, its
    foreign keys set as ids. ``loaded``: related objects already loaded (``asset=...``),
    set as its relationships as a load would set them (no change to flush), so that the
    timer, the listeners (escalation's clocks, webhooks) and the caller read them without a query.
    """
    for name, obj in loaded.items():
        set_committed_value(case, name, obj)
    registry = registry_for(session)
    if registry is not None:
        due = registry.time_new_case(session, case, now)  # the INSERT carries them
        case.first_response_due_at, case.next_update_due_at = due.first_response, due.next_update
        case.resolution_due_at = due.resolution
    apply_deadline(case)  # the queue's next deadline: insert_one runs no flush listener
    case.number = rules.format_case_number(next_value(session, "case"))
    insert_one(session, case)


def _first_entries(
    session: Session,
    case: Case,
    rows: list[dict[str, Any]],
    actor: User | None,
    now: datetime,
    uploads: Sequence[Upload] = (),
    store: AttachmentStore | None = None,
) -> None:
    """A case just inserted (:func:`_insert_case`): its first timeline entries (``rows``, from
    :func:`timeline.row`; vendor-written public text has passed the safety guard), the
    files on the first one, then ``CaseOpened`` for the listeners."""
    opened_id = _insert_events(session, rows, want_id=bool(uploads) and store is not None)
    if uploads and store is not None:
        _attach(session, store, case, opened_id, actor, uploads, now)
    events.publish(session, events.CaseOpened(case.id, now))


def open_case(
    session: Session,
    actor: User,
    store: AttachmentStore,
    *,
    asset_serial: str,
    severity: int,
    subject: str,
    description: str,
    now: datetime,
    component_id: int | None = None,
    component_serial: str | None = None,
    uploads: Sequence[Upload] = (),
    channel: str = "portal",
) -> Case:
    """Accept the request whatever the contract says: the channel never closes.

    The component is named by id (the portal's choice) or by serial (the API), and looked
    for in the chosen asset only: another organisation's serial is as unknown as a made-up one."""
    if not can_open_cases(actor.role):
        raise ForbiddenError("Your role cannot open cases.")
    rules.check_severity(severity)
    subject = rules.check_text("Subject", subject, rules.MAX_SUBJECT)
    description = rules.check_text("Description", description, rules.MAX_BODY)
    found = _asset_and_contract(session, actor, (asset_serial or "").strip(), now.date())
    if found is None:
        raise CaseRuleError(f"No asset with serial {asset_serial!r} is registered to your organisation.")
    asset, contract = found
    safety.guard_customer_text(session, actor, description, channel=channel, now=now, asset=asset)
    component = None
    if component_id is not None:
        component = session.get(Component, component_id)
        if component is None or component.asset_id != asset.id:
            raise CaseRuleError("That component is not part of the chosen asset.")
    elif component_serial:
        component = session.scalar(
            select(Component).where(
                Component.asset_id == asset.id,
                Component.serial == component_serial.strip().upper(),
                Component.state != "removed",
            )
        )
        if component is None:
            raise CaseRuleError(f"Asset {asset.serial} has no installed component with serial {component_serial!r}.")
    case = Case(
        organization_id=asset.organization_id,
        asset_id=asset.id,
        component_id=component.id if component else None,
        contract_id=contract.id if contract else None,
        entitled=contract is not None,
        severity=severity,
        status="new",
        subject=subject,
        description=description,
        channel=channel,
        opened_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    _insert_case(
        session, case, now, organization=asset.organization, asset=asset, component=component, contract=contract
    )
    first = [
        timeline.row(
            case,
            actor,
            "opened",
            now,
            public=True,
            body=description,
            data={"severity": severity, "subject": subject, "channel": channel},
        )
    ]
    if contract is None:
        first.append(
            timeline.row(
                case,
                None,
                "not_entitled",
                now,
                public=True,
                body=f"No active support contract covers {asset.serial} on"
                f" {now.date().isoformat()}. The case is accepted and worked; the account"
                " team will review entitlement.",
            )
        )
    _first_entries(session, case, first, actor, now, uploads, store)
    _acknowledge(session, actor, case, asset.serial)  # after the listeners: the clocks are set
    session.commit()
    return case


def _acknowledge(session: Session, actor: User, case: Case, serial: str) -> None:
    """The opener hears back at once, in-app and by e-mail through the outbox, with the
    case number to quote and when the first response is due."""
    due = (
        f"A first response is due by {case.first_response_due_at:%Y-%m-%d %H:%M} UTC."
        if case.first_response_due_at
        else "We will answer as soon as possible."
    )
    cover = (
        ""
        if case.entitled
        else (
            "\nNo active support contract covers this asset today: the case is "
            "accepted and worked, and your account team will review the entitlement."
        )
    )
    notify(
        session,
        [actor],
        subject=f"[{case.number} S{case.severity}] Received: {case.subject}",
        body=f"We have received your case {case.number} about {serial}: {case.subject}\n"
        f"Severity {case.severity}. {due}{cover}\n\nReply to this message or on the case page to add "
        f"information; quote {case.number}.",
        now=case.created_at,
        case_id=case.id,
        severity=case.severity,
    )


@detect_conflicts("case")
def add_comment(
    session: Session,
    actor: User,
    store: AttachmentStore,
    case: Case,
    *,
    body: str,
    public: bool,
    now: datetime,
    uploads: Sequence[Upload] = (),
    channel: str = "public_reply",
) -> CaseEvent:
    """A public reply or an internal note; a customer's reply resumes a paused case.

    A vendor's public reply telling the customer to put a failed part back is
    refused by the safety guard (:class:`casemgr.safety.services.SafetyBlocked`).
    """
    is_customer = policy.can_reply_as_customer(actor, case)
    if not is_customer and not policy.can_work_case(actor):
        raise ForbiddenError("You can read this case but not reply to it.")
    if case.status == "closed":
        raise CaseRuleError("This case is closed. Open a new case and mention this one.")
    if is_customer:
        public = True
    body = rules.check_text("Reply", body, rules.MAX_BODY, required=not uploads)
    event = timeline.append(
        session,
        case,
        actor,
        "comment",
        now,
        public=public,
        body=body,
        channel=channel,
        data={"from": "customer" if is_customer else "vendor"},
        flag_internal=True,
    )
    _attach(session, store, case, event, actor, uploads, now)
    case.updated_at = now
    if is_customer:
        resumed = rules.status_after_customer_reply(case.status)
        if resumed:  # the reply itself is the news: no separate status notice
            _set_status(session, case, actor, resumed, now, note="customer replied", announce=False)
    if public and not is_customer:
        # The vendor's first public reply is the first response; each one restarts next-update.
        if case.first_response_at is None:
            case.first_response_at = now
        elif case.next_update_due_at is not None and now > case.next_update_due_at:
            case.next_update_breaches += 1  # a late update is recorded, never hidden
        case.last_vendor_update_at = now
    if public:
        events.publish(session, events.PublicReplyAdded(case.id, by_vendor=not is_customer, at=now))
        files = f"\n\n({len(uploads)} file{'s' if len(uploads) != 1 else ''} attached)" if uploads else ""
        side = f" ({case.organization.name})" if is_customer else ""
        tell(
            session,
            case,
            actor,
            kind="reply",
            what=f"{actor.name}{side} replied",
            body=f"{actor.name}{side} replied on {case.number}:\n\n{body}{files}",
            now=now,
            audience="vendor" if is_customer else "customer",
        )
    session.commit()
    return event


def _set_status(
    session: Session,
    case: Case,
    actor: User | None,
    new: str,
    now: datetime,
    note: str = "",
    *,
    announce: bool = True,
) -> None:
    """The one place a case's status changes: a readable public entry (the new status in
    plain words, the old one, the note), the domain event, and (``announce``) the notice
    to the contacts: a vendor's change to the customer side, a customer's to the vendor."""
    old = case.status
    case.status = new
    case.updated_at = now
    if new == "waiting_customer":
        case.sla_paused_at = now
    elif old == "waiting_customer":
        case.sla_paused_at = None
    if new == "resolved":
        case.resolved_at = now
    elif new == "closed":
        case.closed_at = now
    elif old == "resolved":
        case.resolved_at = None
    body = rules.status_body(old, new, note)
    timeline.append(
        session,
        case,
        actor,
        "status_changed",
        now,
        public=True,
        body=body,
        data={"from": old, "to": new, "note": note},
    )
    events.publish(session, events.CaseStatusChanged(case.id, old, new, now))
    if announce:
        by_customer = actor is not None and policy.can_reply_as_customer(actor, case)
        tell(
            session,
            case,
            actor,
            kind="status",
            what=rules.STATUS_PLAIN[new],
            body=f"{who(actor)} changed the status of {case.number}: {body}",
            now=now,
            audience="vendor" if by_customer else "customer",
        )


@detect_conflicts("case")
def change_status(
    session: Session,
    actor: User,
    case: Case,
    *,
    new_status: str,
    expected_version: int | None,
    now: datetime,
    note: str = "",
) -> None:
    """``note``: what the customer reads with the change (e.g. the resolution)."""
    policy.require_case_worker(actor)
    _check_version(case, expected_version)
    rules.check_vendor_status_move(case.status, new_status)
    note = rules.check_text("Note", note, rules.MAX_BODY, required=False)
    _set_status(session, case, actor, new_status, now, note=note)
    session.commit()


@detect_conflicts("case")
def change_severity(
    session: Session,
    actor: User,
    case: Case,
    *,
    severity: int,
    expected_version: int | None,
    now: datetime,
    reason: str = "",
) -> None:
    policy.require_case_worker(actor)
    _check_version(case, expected_version)
    rules.check_severity(severity)
    if not case.is_open:
        raise CaseRuleError("Severity can only change while the case is open.")
    if severity == case.severity:
        raise CaseRuleError(f"The case is already severity {severity}.")
    old = case.severity
    case.severity = severity
    case.updated_at = now
    reason = reason.strip()[:500]
    body = rules.severity_body(old, severity, reason)
    timeline.append(
        session,
        case,
        actor,
        "severity_changed",
        now,
        public=True,
        body=body,
        data={"from": old, "to": severity, "reason": reason},
    )
    events.publish(session, events.CaseSeverityChanged(case.id, old, severity, now))
    tell(
        session,
        case,
        actor,
        kind="severity",
        what=f"Severity {'raised' if severity < old else 'lowered'} to {severity}",
        body=f"{actor.name} changed the severity of {case.number}: {body}",
        now=now,
    )
    session.commit()


@detect_conflicts("case")
def assign_owner(
    session: Session, actor: User, case: Case, *, owner_id: int, expected_version: int | None, now: datetime
) -> None:
    """Take ownership (owner is the actor) or hand the case to another engineer."""
    policy.require_case_worker(actor)
    _check_version(case, expected_version)
    owner = session.get(User, owner_id)
    if owner is None or not policy.can_work_case(owner) or not owner.is_active:
        raise CaseRuleError("The new owner must be an active support engineer or manager.")
    if case.owner_id == owner.id:
        raise CaseRuleError(f"{owner.name} already owns this case.")
    old = case.owner.name if case.owner else None
    case.owner = owner  # the relationship, not only the id: what is read next sees the new owner
    case.updated_at = now
    if case.status == "new":
        _set_status(session, case, actor, "in_progress", now, note="taken by an engineer")
    timeline.append(session, case, actor, "owner_changed", now, public=False, data={"from": old, "to": owner.name})
    if owner.id != actor.id:
        notify(
            session,
            [owner],
            subject=f"[{case.number}] Assigned to you by {actor.name}: {case.subject}",
            body=f"{actor.name} assigned {case.number} ({case.organization.name}, severity {case.severity}) to"
            f" you.\n\nOpen the case: {case_link(case.number)}\n",
            now=now,
            case_id=case.id,
            severity=case.severity,
            kind="watching",
        )
    session.commit()


def open_triage_case(
    session: Session,
    *,
    organization_id: int,
    opened_by: User | None,
    severity: int,
    subject: str,
    description: str,
    now: datetime,
    channel: str,
    requester: str,
    uploads: Sequence[Upload] = (),
    store: AttachmentStore | None = None,
) -> Case:
    """A request that names no asset (or comes from an unknown sender) still becomes a case.

    Triage cases have no asset and no contract; support assigns them. Subject
    and description are trimmed rather than refused: a channel never bounces.
    """
    rules.check_severity(severity)
    subject = (subject or "").strip()[: rules.MAX_SUBJECT] or "(no subject)"
    description = (description or "").strip()[: rules.MAX_BODY] or "(empty message)"
    case = Case(
        organization_id=organization_id,
        asset_id=None,
        entitled=False,
        severity=severity,
        status="new",
        subject=subject,
        description=description,
        channel=channel,
        opened_by_id=opened_by.id if opened_by else None,
        created_at=now,
        updated_at=now,
    )
    _insert_case(session, case, now)
    _first_entries(
        session,
        case,
        [
            timeline.row(
                case,
                opened_by,
                "opened",
                now,
                public=True,
                body=description,
                data={"severity": severity, "subject": subject, "channel": channel, "requester": requester},
            ),
            timeline.row(
                case,
                None,
                "triage",
                now,
                public=False,
                body=f"Received by {channel} from {requester} without a registered asset: triage it to an asset"
                " or answer the sender.",
            ),
        ],
        opened_by,
        now,
        uploads,
        store,
    )
    session.commit()
    return case


def note_automatic_message(
    session: Session, case: Case, *, sender: str, reason: str, body: str, now: datetime
) -> CaseEvent:
    """An auto-reply or bounce about a case: kept for staff, never treated as the customer's answer."""
    event = timeline.append(
        session,
        case,
        None,
        "auto_message",
        now,
        public=False,
        body=f"Automatic message from {sender} ({reason}), not answered:\n\n{body[:5000]}",
        data={"sender": sender, "reason": reason},
    )
    session.commit()
    return event


def case_workers(session: Session) -> list[User]:
    """Who a case can be assigned to."""
    stmt = select(User).where(User.role.in_(sorted(CASE_WORKER_ROLES)), User.is_active_flag.is_(True))
    return list(session.scalars(stmt.order_by(User.name)))


def account_managers_of(session: Session, organization_id: int) -> list[User]:
    stmt = (
        select(User)
        .join(AccountAssignment, AccountAssignment.account_manager_id == User.id)
        .where(AccountAssignment.organization_id == organization_id)
        .order_by(User.name)
    )
    return list(session.scalars(stmt))


@detect_conflicts("case")
def close_case(
    session: Session,
    actor: User,
    case: Case,
    *,
    reason: str,
    expected_version: int | None,
    now: datetime,
    handoff_manager_id: int | None = None,
    handoff_path: str = "",
    note: str = "",
) -> None:
    """Close with a reason; end-of-support closes need a recorded hand-off."""
    policy.require_case_worker(actor)
    _check_version(case, expected_version)
    note = rules.check_text("Note", note, rules.MAX_BODY, required=False)
    has_handoff = False
    if reason in rules.HANDOFF_REASONS:
        path = (handoff_path or "").strip()
        managers = {m.id: m for m in account_managers_of(session, case.organization_id)}
        if not managers:
            raise CaseRuleError("This organisation has no account manager assigned; assign one before handing off.")
        if handoff_manager_id not in managers:
            raise CaseRuleError("Choose the organisation's account manager to hand the case to.")
        if len(path) < 10:
            raise CaseRuleError("Describe the path offered to the customer (upgrade, trade-in, extended support...).")
        manager = managers[handoff_manager_id]
        timeline.append(
            session,
            case,
            actor,
            "handoff",
            now,
            public=True,
            body=f"Handed off to account manager {manager.name}. Path offered: {path}",
            data={"account_manager_id": manager.id, "account_manager": manager.name, "path": path},
        )
        has_handoff = True
    has_handoff = has_handoff or (
        session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.kind == "handoff").limit(1))
        is not None
    )
    product = case.asset.product if case.asset is not None else None
    required = rules.needs_handoff(
        case.asset_id is not None, case.entitled, product.end_of_support_on if product else None, now.date()
    )
    rules.check_close(case.status, reason, has_handoff, handoff_required=required)
    case.close_reason = reason
    _set_status(session, case, actor, "closed", now, note=rules.CLOSE_REASONS[reason] + (f": {note}" if note else ""))
    session.commit()


@detect_conflicts("case")
def confirm_resolution(
    session: Session, actor: User, case: Case, *, expected_version: int | None, now: datetime
) -> None:
    if not policy.can_reply_as_customer(actor, case):
        raise ForbiddenError("Only the customer confirms a resolution.")
    _check_version(case, expected_version)
    rules.check_customer_confirm(case.status)
    case.close_reason = "confirmed"
    _set_status(session, case, actor, "closed", now, note="Customer confirmed the resolution")
    session.commit()
