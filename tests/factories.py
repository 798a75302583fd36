"""Test data: a small, complete world, and factories for tests that need only a little.

The world (``build_world``, the ``world`` fixture): two partners (Acme on a 24x7 Premium
plan, Globex with one covered and one out-of-contract asset), the vendor, one user per
role. The factories (``create_user``, ``create_asset``, ``create_case``, ``create_rma`` ...)
make one thing and what it needs. Every password is ``correct horse battery``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from casemgr.assets.models import Asset, Component, Part, Product
from casemgr.auth.models import User
from casemgr.cases import opening as case_opening
from casemgr.cases.attachments import LocalAttachmentStore
from casemgr.cases.models import Case
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan
from casemgr.organizations.models import AccountAssignment, Organization, Site
from rma import services as rma_services
from rma.models import Rma

PASSWORD = "correct horse battery"


@dataclass
class World:
    vendor: Organization
    acme: Organization
    globex: Organization
    acme_asset: Asset
    globex_asset: Asset
    globex_uncovered: Asset
    premium: SupportPlan
    standard: SupportPlan
    users: dict[str, User]

    def user(self, key: str) -> User:
        return self.users[key]


#: The hash method of the fixture users' password. The app hashes with werkzeug's default
#: (scrypt, deliberately slow: about a quarter of a second per check on a busy test machine),
#: which the tests of user creation (CLI, API) go through. Fixture users log in all the time,
#: so theirs is a PBKDF2 hash with few iterations: logging in still checks the password
#: through werkzeug's ``check_password_hash`` as it does for every user, only faster.
FIXTURE_HASH_METHOD = "pbkdf2:sha256:1000"


@cache
def password_hash() -> str:
    """The fixture password's hash, computed once per run."""
    return generate_password_hash(PASSWORD, method=FIXTURE_HASH_METHOD)


def _user(session: Session, email: str, role: str, org: Organization, now: datetime, **kw) -> User:
    user = User(
        email=email,
        name=email.split("@")[0].replace(".", " ").title(),
        role=role,
        organization_id=org.id,
        created_at=now,
        password_hash=password_hash(),
        **kw,
    )
    session.add(user)
    return user


def _asset(
    serial: str, product: Product, org: Organization, site: Site, drive: Part, psu: Part, now: datetime
) -> Asset:
    asset = Asset(serial=serial, product=product, organization_id=org.id, site_id=site.id, created_at=now)
    for bay in range(1, 5):
        asset.components.append(
            Component(slot=f"bay {bay}", part=drive, serial=f"{serial}-D{bay}", state="active", installed_at=now)
        )
    asset.components.append(Component(slot="PSU 1", part=psu, serial=f"{serial}-P1", state="active", installed_at=now))
    return asset


def build_world(session: Session, now: datetime) -> World:
    vendor = Organization(name="Vendor", is_vendor=True, created_at=now)
    acme = Organization(name="Acme", created_at=now)
    globex = Organization(name="Globex", created_at=now)
    session.add_all([vendor, acme, globex])
    session.flush()
    acme_site = Site(organization_id=acme.id, name="Acme DC", timezone="America/New_York", address="1 Acme Way")
    globex_site = Site(organization_id=globex.id, name="Globex Lab", timezone="Europe/Berlin", address="2 Globex Str")
    session.add_all([acme_site, globex_site])
    drive = Part(part_number="DRV-1", description="4 TB drive", kind="drive", data_bearing=True)
    psu = Part(part_number="PSU-1", description="PSU", kind="psu", customer_replaceable=True)
    product = Product(model="SA-1", product_line="StorArray", compatible_parts=[drive, psu])
    always = BusinessCalendar(name="24x7", always=True, weekly_hours={}, holidays=[])
    business = BusinessCalendar(
        name="Business",
        always=False,
        timezone=None,
        weekly_hours={d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        holidays=[],
    )
    targets = {str(s): {"first_response": 30 * s, "next_update": 60 * s, "resolution": 240 * s} for s in range(1, 5)}
    premium = SupportPlan(
        code="PREM", name="Premium 24x7 4h", calendar=always, targets=targets, onsite=True, advance_replacement=True
    )
    standard = SupportPlan(code="STD", name="Standard 8x5 NBD", calendar=business, targets=targets)
    session.add_all([drive, psu, product, always, business, premium, standard])
    session.flush()
    acme_asset = _asset("ACME-001", product, acme, acme_site, drive, psu, now)
    globex_asset = _asset("GLOBEX-001", product, globex, globex_site, drive, psu, now)
    globex_uncovered = _asset("GLOBEX-OLD", product, globex, globex_site, drive, psu, now)
    session.add_all([acme_asset, globex_asset, globex_uncovered])
    session.add_all(
        [
            Contract(
                number="C-ACME",
                organization_id=acme.id,
                plan=premium,
                starts_on=date(2026, 1, 1),
                ends_on=date(2027, 12, 31),
                assets=[acme_asset],
            ),
            Contract(
                number="C-GLOBEX",
                organization_id=globex.id,
                plan=standard,
                starts_on=date(2026, 1, 1),
                ends_on=date(2027, 12, 31),
                assets=[globex_asset],
            ),
            Contract(
                number="C-GLOBEX-OLD",
                organization_id=globex.id,
                plan=standard,
                starts_on=date(2022, 1, 1),
                ends_on=date(2024, 12, 31),
                assets=[globex_uncovered],
            ),
        ]
    )
    session.flush()
    users = {
        "acme_admin": _user(session, "admin@acme.example.com", "customer_admin", acme, now),
        "acme_user": _user(session, "user@acme.example.com", "customer_user", acme, now),
        "globex_admin": _user(session, "admin@globex.example.com", "customer_admin", globex, now),
        "engineer": _user(session, "eng@vendor.example.com", "support_engineer", vendor, now),
        "engineer2": _user(session, "eng2@vendor.example.com", "support_engineer", vendor, now),
        "field": _user(session, "field@vendor.example.com", "field_engineer", vendor, now, region="us-east"),
        "account": _user(session, "am@vendor.example.com", "account_manager", vendor, now),
        "manager": _user(session, "mgr@vendor.example.com", "support_manager", vendor, now),
        "admin": _user(session, "root@vendor.example.com", "admin", vendor, now),
    }
    session.flush()
    session.add(AccountAssignment(account_manager_id=users["account"].id, organization_id=acme.id))
    session.commit()
    return World(vendor, acme, globex, acme_asset, globex_asset, globex_uncovered, premium, standard, users)


# Factories: for a test that needs a little, not the whole world. Each makes what it is
# given no part of (a partner, its site, an asset and its coverage ...) with the same
# defaults as the world, and commits (in the rolled-back mode, that releases a savepoint).

#: The instant the factories date their rows by default: the tests' clock at its start (a Monday).
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

#: Roles that belong to the vendor's organisation (the others to a partner's).
VENDOR_ROLES = {"support_engineer", "field_engineer", "account_manager", "support_manager", "admin"}


def _unique(session: Session, column: Any, stem: str, suffix: str = "", *where: Any) -> str:
    """``stem + suffix``, or ``stem-2 + suffix``, ... whichever ``column`` holds nowhere yet."""
    taken = set(session.scalars(select(column).where(column.startswith(stem), *where)))
    return next(c for c in (f"{stem}{s}{suffix}" for s in ("", *(f"-{n}" for n in range(2, 10_000)))) if c not in taken)


def create_org(session: Session, *, name: str | None = None, vendor: bool = False, now: datetime = T0) -> Organization:
    """A partner organisation (or, with ``vendor=True``, the vendor's)."""
    org = Organization(
        name=name or _unique(session, Organization.name, "Vendor" if vendor else "Partner"),
        is_vendor=vendor,
        created_at=now,
    )
    session.add(org)
    session.commit()
    return org


def vendor_org(session: Session, now: datetime = T0) -> Organization:
    """The vendor's organisation, made on first use."""
    return session.scalar(select(Organization).where(Organization.is_vendor.is_(True)).limit(1)) or create_org(
        session, vendor=True, now=now
    )


def create_user(
    session: Session,
    role: str = "support_engineer",
    *,
    org: Organization | None = None,
    email: str | None = None,
    now: datetime = T0,
    **kw,
) -> User:
    """A user of ``role`` whose password is :data:`PASSWORD`: a vendor role in the vendor's
    organisation, a customer role in ``org`` (a new partner by default)."""
    if org is None:
        org = vendor_org(session, now) if role in VENDOR_ROLES else create_org(session, now=now)
    email = email or _unique(session, User.email, role.replace("_", "."), "@example.com")
    user = _user(session, email, role, org, now, **kw)
    session.commit()
    return user


def create_asset(
    session: Session,
    *,
    org: Organization | None = None,
    serial: str | None = None,
    plan: str | None = "PREM",
    now: datetime = T0,
) -> Asset:
    """An asset (four drive bays and a PSU) at a site of ``org`` (a new partner by default),
    covered by a contract on the world's plan ``plan`` (``PREM``, ``STD``), or by none."""
    org = org or create_org(session, now=now)
    name = _unique(session, Site.name, f"{org.name} DC", "", Site.organization_id == org.id)
    site = Site(organization_id=org.id, name=name, timezone="America/New_York", address="1 Main St")
    session.add(site)
    drive = session.scalar(select(Part).where(Part.part_number == "DRV-1")) or Part(
        part_number="DRV-1", description="4 TB drive", kind="drive", data_bearing=True
    )
    psu = session.scalar(select(Part).where(Part.part_number == "PSU-1")) or Part(
        part_number="PSU-1", description="PSU", kind="psu", customer_replaceable=True
    )
    product = session.scalar(select(Product).where(Product.model == "SA-1")) or Product(
        model="SA-1", product_line="StorArray", compatible_parts=[drive, psu]
    )
    session.add_all([drive, psu, product])
    session.flush()
    asset = _asset(serial or _unique(session, Asset.serial, "SA"), product, org, site, drive, psu, now)
    session.add(asset)
    if plan is not None:
        session.add(
            Contract(
                number=_unique(session, Contract.number, f"C-{asset.serial}"),
                organization_id=org.id,
                plan=support_plan(session, plan),
                starts_on=date(2026, 1, 1),
                ends_on=date(2027, 12, 31),
                assets=[asset],
            )
        )
    session.commit()
    return asset


def support_plan(session: Session, code: str = "PREM") -> SupportPlan:
    """The world's plan ``PREM`` (24x7, 4 h) or ``STD`` (8x5, next business day), made on first use."""
    found = session.scalar(select(SupportPlan).where(SupportPlan.code == code))
    if found is not None:
        return found
    targets = {str(s): {"first_response": 30 * s, "next_update": 60 * s, "resolution": 240 * s} for s in range(1, 5)}
    if code == "PREM":
        calendar = BusinessCalendar(name="24x7", always=True, weekly_hours={}, holidays=[])
        plan = SupportPlan(
            code="PREM",
            name="Premium 24x7 4h",
            calendar=calendar,
            targets=targets,
            onsite=True,
            advance_replacement=True,
        )
    elif code == "STD":
        calendar = BusinessCalendar(
            name="Business",
            always=False,
            timezone=None,
            weekly_hours={d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            holidays=[],
        )
        plan = SupportPlan(code="STD", name="Standard 8x5 NBD", calendar=calendar, targets=targets)
    else:
        raise ValueError(f"no plan {code!r} in the factories (PREM, STD)")
    session.add_all([calendar, plan])
    session.flush()
    return plan


def create_case(
    session: Session,
    *,
    asset: Asset | None = None,
    opener: User | None = None,
    severity: int = 2,
    subject: str = "Bay 2 failed",
    description: str = "Drive in bay 2 shows amber",
    slot: str | None = None,
    now: datetime = T0,
) -> Case:
    """A case opened through the service (numbered, timed, acknowledged) by a customer admin of
    the asset's partner, on ``asset`` (a new covered one by default), about the component in
    ``slot`` if given. It carries no files."""
    asset = asset or create_asset(session, now=now)
    opener = opener or create_user(session, "customer_admin", org=session.get(Organization, asset.organization_id))
    component = next(c for c in asset.components if c.slot == slot) if slot else None
    return case_opening.open_case(
        session,
        opener,
        LocalAttachmentStore("/nonexistent/no-uploads-here", 1 << 20),
        asset_serial=asset.serial,
        severity=severity,
        subject=subject,
        description=description,
        now=now,
        component_id=component.id if component else None,
    )


def create_rma(
    session: Session,
    *,
    case: Case | None = None,
    engineer: User | None = None,
    slot: str = "bay 4",
    kind: str = "advance_replacement",
    problem: str = "Amber LED; the array reports the part failed",
    now: datetime = T0,
) -> Rma:
    """An RMA opened through the service by a support engineer, for the component in ``slot``
    of the case's asset (by default a new case about that component)."""
    case = case or create_case(session, slot=slot, subject=f"{slot} failed", now=now)
    engineer = engineer or create_user(session, "support_engineer")
    component = next(c for c in session.get_one(Asset, case.asset_id).components if c.slot == slot)
    return rma_services.open_rma(
        session, engineer, case, component_id=component.id, kind=kind, now=now, problem=problem
    )
