"""A small, complete world for integration and web tests.

Two partners (Acme on a 24x7 Premium plan, Globex with one covered and one
out-of-contract asset), the vendor, one user per role. Every password is
``correct horse battery``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from casemgr.assets.models import Asset, Component, Part, Product
from casemgr.auth.models import User
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan
from casemgr.organizations.models import AccountAssignment, Organization, Site

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


@cache
def _password_hash() -> str:
    """Hash once per run: scrypt is deliberately slow and the tests make many users."""
    return generate_password_hash(PASSWORD)


def _user(session: Session, email: str, role: str, org: Organization, now: datetime, **kw) -> User:
    user = User(
        email=email,
        name=email.split("@")[0].replace(".", " ").title(),
        role=role,
        organization_id=org.id,
        created_at=now,
        password_hash=_password_hash(),
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
