"""Opening a case, from any channel: the portal, the API, mail, alerts.

Separate from the later changes (``casemgr.cases.services``) because writing a new case is its own
path: one scoped query for the asset and its contract, one INSERT, the first timeline rows at
commit, the acknowledgement to the opener. Each function commits once."""

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
from casemgr.assets.serials import serial_key
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.auth.roles import can_open_cases
from casemgr.bulk import insert_at_commit
from casemgr.cases import rules, timeline
from casemgr.cases.attachments import AttachmentStore, Upload
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.rules import CaseRuleError
from casemgr.cases.services import _attach
from casemgr.contracts.coverage import pick_active
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan, contract_asset
from casemgr.db import insert_one
from casemgr.errors import ForbiddenError
from casemgr.notifications.services import notify_of_case
from casemgr.numbering import next_value
from casemgr.organizations.models import Organization, Site
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
                Component.serial_key == serial_key(component_serial),
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
    notify_of_case(
        session,
        actor,
        case,
        subject=f"[{case.number} S{case.severity}] Received: {case.subject}",
        body=f"We have received your case {case.number} about {serial}: {case.subject}\n"
        f"Severity {case.severity}. {due}{cover}\n\nReply to this message or on the case page to add "
        f"information; quote {case.number}.",
        now=case.created_at,
    )


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
