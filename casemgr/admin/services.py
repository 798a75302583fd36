"""Administration use cases (the ``admin`` role): each validates, writes, is audited
(``casemgr.admin.audit``) and commits once.

The REST API, the admin pages and the CLI call the same functions; edits of what these
create are in ``casemgr.admin.editing``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.admin import audit
from casemgr.admin.targets import validate_targets, validate_weekly_hours
from casemgr.assets.models import Asset, Component, Part, Product
from casemgr.assets.serials import checked_serial, serial_key
from casemgr.assets.services import EntryGuard
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.auth.services import UserError, create_user
from casemgr.cases.rules import CaseRuleError
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan
from casemgr.errors import ConflictError, ForbiddenError
from casemgr.organizations.models import Organization, Site
from casemgr.safety import services as safety

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise ForbiddenError("Only administrators can do that.")


def _commit(session: Session, what: str):
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"{what} already exists.") from None


def timezone_name(name: str) -> str:
    """``name`` if it is an IANA time zone (zoneinfo knows it); a rule error otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CaseRuleError(f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.") from None
    return name


def find_parts(session: Session, part_numbers: list[str]) -> list[Part]:
    return [_one(session, Part, Part.part_number, pn.strip(), "part") for pn in part_numbers]


def find_plan(session: Session, code: str) -> SupportPlan:
    return _one(session, SupportPlan, SupportPlan.code, code.strip(), "plan")


def find_assets(session: Session, organization_id: int, serials: list[str]) -> list[Asset]:
    """The assets by serial, each of the organisation (a contract covers its own assets only)."""
    assets = []
    for serial in serials:
        asset = _one(session, Asset, Asset.serial, serial.strip().upper(), "asset")
        if asset.organization_id != organization_id:
            raise CaseRuleError(f"Asset {asset.serial} belongs to another organisation.")
        if asset not in assets:
            assets.append(asset)
    return assets


def _one(session: Session, model, column, value, label: str):
    row = session.scalar(select(model).where(column == value))
    if row is None:
        raise CaseRuleError(f"No {label} {value!r}.")
    return row


def _created(session: Session, actor: User, obj, what: str, summary: str, *, now: datetime, channel: str) -> None:
    """Add ``obj``, audit its creation and commit (a duplicate is a 409)."""
    session.add(obj)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"{what} already exists.") from None
    audit.record(session, actor, "created", obj, summary=summary, channel=channel, now=now)
    _commit(session, what)


def create_organization(
    session: Session, actor: User, *, name: str, now: datetime, channel: str = "api"
) -> Organization:
    require_admin(actor)
    if not name.strip():
        raise CaseRuleError("The name cannot be empty.")
    org = Organization(name=name.strip(), is_vendor=False, created_at=now)
    _created(session, actor, org, f"Organisation {name.strip()!r}", org.name, now=now, channel=channel)
    return org


def create_site(
    session: Session,
    actor: User,
    org: Organization,
    *,
    name: str,
    timezone: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    region: str = "",
    now: datetime,
    channel: str = "api",
) -> Site:
    require_admin(actor)
    if not name.strip():
        raise CaseRuleError("The name cannot be empty.")
    site = Site(
        organization_id=org.id,
        name=name.strip(),
        timezone=timezone_name(timezone),
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        region=region,
    )
    what = f"Site {name.strip()!r} of {org.name}"
    _created(session, actor, site, what, f"{site.name} ({site.timezone})", now=now, channel=channel)
    return site


def create_part(
    session: Session,
    actor: User,
    *,
    part_number: str,
    description: str,
    kind: str,
    data_bearing: bool,
    customer_replaceable: bool,
    now: datetime,
    channel: str = "api",
) -> Part:
    require_admin(actor)
    part = Part(
        part_number=part_number.strip(),
        description=description,
        kind=kind.strip().lower(),
        data_bearing=data_bearing,
        customer_replaceable=customer_replaceable,
    )
    summary = f"{part.part_number} ({part.kind}{', data-bearing' if data_bearing else ''})"
    _created(session, actor, part, f"Part {part.part_number!r}", summary, now=now, channel=channel)
    return part


def create_product(
    session: Session,
    actor: User,
    *,
    model: str,
    product_line: str,
    end_of_support_on: date | None,
    compatible_parts: list[str],
    now: datetime,
    channel: str = "api",
) -> Product:
    require_admin(actor)
    parts = find_parts(session, compatible_parts)
    product = Product(
        model=model.strip(), product_line=product_line, end_of_support_on=end_of_support_on, compatible_parts=parts
    )
    summary = f"{product.model}, parts {[p.part_number for p in parts]}, end of support {end_of_support_on or '-'}"
    _created(session, actor, product, f"Product {product.model!r}", summary, now=now, channel=channel)
    return product


def create_asset(
    session: Session,
    actor: User,
    *,
    serial: str,
    product_model: str,
    organization_id: int,
    site_name: str,
    components: list[dict],
    now: datetime,
    channel: str = "api",
) -> Asset:
    """Register an asset with the components in it; each one enters it as an install would.

    A failed, quarantined or removed serial is refused by the safety guard (recorded as a
    ``SafetyBlock`` on ``channel``, :class:`SafetyBlocked` raised, nothing created); a serial
    installed in another asset, or named twice in the request, is a rule error.
    """
    require_admin(actor)
    product = _one(session, Product, Product.model, product_model, "product")
    org = session.get(Organization, organization_id)
    if org is None or org.is_vendor:
        raise CaseRuleError(f"No partner organisation {organization_id}.")
    site = session.scalar(select(Site).where(Site.organization_id == org.id, Site.name == site_name))
    if site is None:
        raise CaseRuleError(f"{org.name} has no site {site_name!r}.")
    asset = Asset(
        serial=serial.strip().upper(), product=product, organization_id=org.id, site_id=site.id, created_at=now
    )
    slots = set()
    for c in components:
        part = _one(session, Part, Part.part_number, c["part_number"], "part")
        if part not in product.compatible_parts:
            raise CaseRuleError(f"{part.part_number} is not compatible with {product.model}.")
        if c["slot"].lower() in slots:
            raise CaseRuleError(f"Slot {c['slot']!r} appears twice.")
        slots.add(c["slot"].lower())
        asset.components.append(
            Component(slot=c["slot"], part=part, serial=checked_serial(c["serial"]), state="active", installed_at=now)
        )
    guard = EntryGuard(session, [c.serial for c in asset.components])
    refusals = [r for c in asset.components if (r := guard.refusal(asset, c.slot, c.serial)) is not None]
    if refusals:  # the asset is not in the session: the audit trail is all that is written
        safety.record_refusals(session, actor, refusals, channel=channel, now=now, asset=asset)
    named: dict[str, str] = {}
    for component in asset.components:
        if (key := serial_key(component.serial)) in named:  # "TWIN" and "t-win" are one serial
            raise CaseRuleError(f"Serial {component.serial} appears twice ({named[key]} and {component.slot}).")
        named[key] = component.slot
        if (where := guard.installed_in(component.serial)) is not None:  # the wording of install_component
            raise CaseRuleError(f"Serial {component.serial} is already installed in {where[0]} of {where[1]}.")
    session.add(asset)
    _commit(session, f"Asset {asset.serial!r}")
    return asset


def create_plan(
    session: Session,
    actor: User,
    *,
    code: str,
    name: str,
    targets: dict,
    always: bool,
    weekly_hours: dict,
    holidays: list[date],
    timezone: str | None,
    onsite: bool,
    advance_replacement: bool,
    keep_your_drive: bool,
    now: datetime,
    included: str = "",
    not_included: str = "",
    channel: str = "api",
) -> SupportPlan:
    require_admin(actor)
    validate_targets(targets)
    if not always and not any(weekly_hours.get(d) for d in DAYS):
        raise CaseRuleError("A business-hours plan needs weekly hours (or set always: true for 24x7).")
    if set(weekly_hours) - set(DAYS):
        raise CaseRuleError(f"Weekly hours use the days {', '.join(DAYS)}.")
    validate_weekly_hours(weekly_hours)
    calendar = BusinessCalendar(
        name=f"{code} coverage",
        always=always,
        timezone=timezone_name(timezone) if timezone else None,
        weekly_hours=weekly_hours,
        holidays=[d.isoformat() for d in holidays],
    )
    plan = SupportPlan(
        code=code.strip(),
        name=name,
        calendar=calendar,
        targets=targets,
        onsite=onsite,
        advance_replacement=advance_replacement,
        keep_your_drive=keep_your_drive,
        description=name,
        included=(included or "").strip(),
        not_included=(not_included or "").strip(),
    )
    summary = f"{plan.code} {plan.name}: {calendar.describe()}"
    _created(session, actor, plan, f"Plan {plan.code!r}", summary, now=now, channel=channel)
    return plan


def create_contract(
    session: Session,
    actor: User,
    *,
    number: str,
    organization_id: int,
    plan_code: str,
    starts_on: date,
    ends_on: date,
    asset_serials: list[str],
    now: datetime,
    channel: str = "api",
) -> Contract:
    require_admin(actor)
    if ends_on < starts_on:
        raise CaseRuleError("A contract cannot end before it starts.")
    org = session.get(Organization, organization_id)
    if org is None or org.is_vendor:
        raise CaseRuleError(f"No partner organisation {organization_id}.")
    plan = find_plan(session, plan_code)
    assets = find_assets(session, org.id, asset_serials)
    contract = Contract(
        number=number.strip(), organization_id=org.id, plan=plan, starts_on=starts_on, ends_on=ends_on, assets=assets
    )
    summary = f"{contract.number}: {plan.code}, {starts_on} to {ends_on}, assets {[a.serial for a in assets]}"
    _created(session, actor, contract, f"Contract {contract.number!r}", summary, now=now, channel=channel)
    return contract


def create_account(
    session: Session,
    actor: User,
    *,
    email: str,
    role: str,
    organization_id: int | None,
    password: str,
    name: str | None,
    region: str | None,
    now: datetime,
    tier: str | None = None,
    channel: str = "api",
) -> User:
    require_admin(actor)
    org = (
        session.get(Organization, organization_id)
        if organization_id
        else session.scalar(select(Organization).where(Organization.is_vendor.is_(True)))
    )
    if org is None:
        raise CaseRuleError("No such organisation.")
    try:
        return create_user(
            session,
            email=email,
            role=role,
            organization=org,
            password=password,
            name=name,
            now=now,
            region=region,
            tier=tier,
            actor=actor,
            channel=channel,
        )
    except UserError as exc:
        session.rollback()
        if "already exists" in str(exc):
            raise ConflictError(str(exc)) from None
        raise CaseRuleError(str(exc)) from None
