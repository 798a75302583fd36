"""Administration use cases (the ``admin`` role): each validates, writes and commits once.

Used by the REST API so that a deployment can be set up through the API alone.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset, Component, Part, Product
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


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CaseRuleError(f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.") from None
    return name


def _one(session: Session, model, column, value, label: str):
    row = session.scalar(select(model).where(column == value))
    if row is None:
        raise CaseRuleError(f"No {label} {value!r}.")
    return row


def create_organization(session: Session, actor: User, *, name: str, now: datetime) -> Organization:
    require_admin(actor)
    org = Organization(name=name.strip(), is_vendor=False, created_at=now)
    session.add(org)
    _commit(session, f"Organisation {name!r}")
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
) -> Site:
    require_admin(actor)
    site = Site(
        organization_id=org.id,
        name=name.strip(),
        timezone=_timezone(timezone),
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        region=region,
    )
    session.add(site)
    _commit(session, f"Site {name!r} of {org.name}")
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
) -> Part:
    require_admin(actor)
    part = Part(
        part_number=part_number.strip(),
        description=description,
        kind=kind.strip().lower(),
        data_bearing=data_bearing,
        customer_replaceable=customer_replaceable,
    )
    session.add(part)
    _commit(session, f"Part {part_number!r}")
    return part


def create_product(
    session: Session,
    actor: User,
    *,
    model: str,
    product_line: str,
    end_of_support_on: date | None,
    compatible_parts: list[str],
) -> Product:
    require_admin(actor)
    parts = [_one(session, Part, Part.part_number, pn, "part") for pn in compatible_parts]
    product = Product(
        model=model.strip(), product_line=product_line, end_of_support_on=end_of_support_on, compatible_parts=parts
    )
    session.add(product)
    _commit(session, f"Product {model!r}")
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
            Component(slot=c["slot"], part=part, serial=c["serial"].strip().upper(), state="active", installed_at=now)
        )
    guard = EntryGuard(session, [c.serial for c in asset.components])
    refusals = [r for c in asset.components if (r := guard.refusal(asset, c.slot, c.serial)) is not None]
    if refusals:  # the asset is not in the session: the audit trail is all that is written
        safety.record_refusals(session, actor, refusals, channel=channel, now=now, asset=asset)
    named: dict[str, str] = {}
    for component in asset.components:
        if component.serial in named:
            raise CaseRuleError(
                f"Serial {component.serial} appears twice ({named[component.serial]} and {component.slot})."
            )
        named[component.serial] = component.slot
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
) -> SupportPlan:
    require_admin(actor)
    for severity in ("1", "2", "3", "4"):
        row = targets.get(severity)
        if not row or set(row) != {"first_response", "next_update", "resolution"}:
            raise CaseRuleError(f"Targets for severity {severity} need first_response, next_update and resolution.")
    if not always and not any(weekly_hours.get(d) for d in DAYS):
        raise CaseRuleError("A business-hours plan needs weekly hours (or set always: true for 24x7).")
    if set(weekly_hours) - set(DAYS):
        raise CaseRuleError(f"Weekly hours use the days {', '.join(DAYS)}.")
    calendar = BusinessCalendar(
        name=f"{code} coverage",
        always=always,
        timezone=_timezone(timezone) if timezone else None,
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
    )
    session.add(plan)
    _commit(session, f"Plan {code!r}")
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
) -> Contract:
    require_admin(actor)
    if ends_on < starts_on:
        raise CaseRuleError("A contract cannot end before it starts.")
    org = session.get(Organization, organization_id)
    if org is None or org.is_vendor:
        raise CaseRuleError(f"No partner organisation {organization_id}.")
    plan = _one(session, SupportPlan, SupportPlan.code, plan_code, "plan")
    assets = []
    for serial in asset_serials:
        asset = _one(session, Asset, Asset.serial, serial.upper(), "asset")
        if asset.organization_id != org.id:
            raise CaseRuleError(f"Asset {asset.serial} belongs to another organisation.")
        assets.append(asset)
    contract = Contract(
        number=number.strip(), organization_id=org.id, plan=plan, starts_on=starts_on, ends_on=ends_on, assets=assets
    )
    session.add(contract)
    _commit(session, f"Contract {number!r}")
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
