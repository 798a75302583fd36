"""Editing what an administrator set up: organisations, sites, parts, products, plans and
contracts. Each edit names the version it read (a stale one is a 409, never an overwrite),
validates as the create does, is audited with who and what changed, and commits once.

The web pages, the API (PATCH) and the CLI call these; ``changes`` holds only the fields
being changed (a PATCH's body), each already of its type.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr import events
from casemgr.admin import audit
from casemgr.admin.services import find_assets, find_parts, find_plan, require_admin, timezone_name
from casemgr.admin.targets import validate_targets
from casemgr.assets.models import Part, Product
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.rules import OPEN_STATUSES, CaseRuleError
from casemgr.concurrency import detect_conflicts
from casemgr.contracts.models import Contract, SupportPlan
from casemgr.errors import ConflictError
from casemgr.organizations.models import Organization, Site

T = TypeVar("T")

EDITABLE = {
    Organization: ("name",),
    Site: ("name", "timezone", "address", "region", "contact_name", "contact_phone"),
    Part: ("description", "kind", "data_bearing", "customer_replaceable"),
    Product: ("product_line", "end_of_support_on", "compatible_parts"),
    SupportPlan: (
        "name",
        "targets",
        "onsite",
        "advance_replacement",
        "keep_your_drive",
        "included",
        "not_included",
    ),
    Contract: ("plan", "starts_on", "ends_on", "assets"),
}


def check_version(obj: Any, version: int | None) -> None:
    """The edit was made against ``version``; anything else means someone saved in between."""
    if version is None:
        raise CaseRuleError("Say which version you are changing (the version you read).")
    if obj.version != version:
        raise ConflictError(
            f"This {audit.object_type(obj)} was changed by someone else since you opened it (your copy is"
            f" version {version}, it is now at version {obj.version}). Reload to see the change, then try again.",
            details={"current_version": obj.version},
        )


def _shown(value: Any) -> Any:
    if isinstance(value, list):
        return [getattr(v, "part_number", None) or getattr(v, "serial", None) or v for v in value]
    if isinstance(value, SupportPlan):
        return value.code
    if isinstance(value, date):
        return value.isoformat()
    return value


def _apply(
    session: Session, actor: User, obj: T, version: int | None, changes: dict[str, Any], *, now: datetime, channel: str
) -> T:
    require_admin(actor)
    check_version(obj, version)
    unknown = set(changes) - set(EDITABLE[type(obj)])  # type: ignore[index]  # T is one of EDITABLE's models
    if unknown:
        raise CaseRuleError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    before = {key: _shown(getattr(obj, key)) for key in changes}
    for key, value in changes.items():
        setattr(obj, key, value)
    after = {key: _shown(getattr(obj, key)) for key in changes}
    summary = audit.describe_changes(before, after)
    try:
        if summary:
            audit.record(session, actor, "updated", obj, summary=summary, channel=channel, now=now)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError("Another record already has that name or number.") from None
    return obj


def _text(changes: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key in changes:
            changes[key] = (changes[key] or "").strip()
            if not changes[key]:
                raise CaseRuleError(f"The {key.replace('_', ' ')} cannot be empty.")


@detect_conflicts("organisation")
def update_organization(
    session: Session, actor: User, org: Organization, *, version: int | None, now: datetime, channel: str, **changes
) -> Organization:
    _text(changes, "name")
    return _apply(session, actor, org, version, changes, now=now, channel=channel)


@detect_conflicts("site")
def update_site(
    session: Session, actor: User, site: Site, *, version: int | None, now: datetime, channel: str, **changes
) -> Site:
    _text(changes, "name")
    if "timezone" in changes:
        changes["timezone"] = timezone_name(changes["timezone"].strip())
    return _apply(session, actor, site, version, changes, now=now, channel=channel)


@detect_conflicts("part")
def update_part(
    session: Session, actor: User, part: Part, *, version: int | None, now: datetime, channel: str, **changes
) -> Part:
    _text(changes, "description", "kind")
    if "kind" in changes:
        changes["kind"] = changes["kind"].lower()
    return _apply(session, actor, part, version, changes, now=now, channel=channel)


@detect_conflicts("product")
def update_product(
    session: Session, actor: User, product: Product, *, version: int | None, now: datetime, channel: str, **changes
) -> Product:
    _text(changes, "product_line")
    if "compatible_parts" in changes:
        changes["compatible_parts"] = find_parts(session, changes["compatible_parts"])
    return _apply(session, actor, product, version, changes, now=now, channel=channel)


@detect_conflicts("plan")
def update_plan(
    session: Session, actor: User, plan: SupportPlan, *, version: int | None, now: datetime, channel: str, **changes
) -> SupportPlan:
    """A change of targets re-times the open cases on the plan (their clocks follow it)."""
    _text(changes, "name")
    for key in ("included", "not_included"):
        if key in changes:
            changes[key] = (changes[key] or "").strip()
    if "targets" in changes:
        validate_targets(changes["targets"])
    _apply(session, actor, plan, version, changes, now=now, channel=channel)
    if "targets" in changes:
        _retime(session, now, Contract.plan_id == plan.id)
    return plan


@detect_conflicts("contract")
def update_contract(
    session: Session,
    actor: User,
    contract: Contract,
    *,
    version: int | None,
    now: datetime,
    channel: str,
    plan_code: str | None = None,
    asset_serials: list[str] | None = None,
    **changes,
) -> Contract:
    """Plan, term or covered assets; the open cases under the contract are re-timed."""
    if plan_code is not None:
        changes["plan"] = find_plan(session, plan_code)
    if asset_serials is not None:
        changes["assets"] = find_assets(session, contract.organization_id, asset_serials)
    starts_on, ends_on = changes.get("starts_on", contract.starts_on), changes.get("ends_on", contract.ends_on)
    if ends_on < starts_on:
        raise CaseRuleError("A contract cannot end before it starts.")
    _apply(session, actor, contract, version, changes, now=now, channel=channel)
    _retime(session, now, Contract.id == contract.id)
    return contract


def _retime(session: Session, now: datetime, where) -> None:
    """Tell the clocks (escalation, through the core's event) which open cases to recompute."""
    stmt = (
        select(Case.id)
        .join(Contract, Contract.id == Case.contract_id)
        .where(where, Case.status.in_(sorted(OPEN_STATUSES)))
    )
    case_ids = list(session.scalars(stmt))
    for case_id in case_ids:
        events.publish(session, events.CaseDeadlinesChanged(case_id=case_id, at=now))
    if case_ids:
        session.commit()
