"""Realistic demo data: three partners in three time zones, ~60 assets,
three plans, contracts (one expired), one user per role and a few open cases.

Idempotent: a second run leaves the data alone and only issues new passwords
for the demo users, so the printed logins always work.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset, Component, Part, Product
from casemgr.assets.services import mark_component
from casemgr.auth.models import User
from casemgr.cases import comments as case_comments
from casemgr.cases import opening as case_opening
from casemgr.cases import services as case_services
from casemgr.cases.attachments import Upload, attachment_store
from casemgr.contracts.models import Contract, SupportPlan
from casemgr.first_run import default_calendars
from casemgr.organizations.models import AccountAssignment, Organization, Site

VENDOR = "Casemgr Storage Systems"

PARTS = [
    # part number, description, kind, data bearing, customer replaceable
    ("DRV-4T-7K", "4 TB 7.2k NL-SAS hard drive", "drive", True, True),
    ("SSD-3T8-NV", "3.84 TB NVMe SSD", "ssd", True, True),
    ("NVRAM-16G", "16 GB NVRAM card", "nvram", True, False),
    ("PSU-1100W", "1100 W power supply", "psu", False, True),
    ("CTRL-SA4", "SA-series storage controller", "controller", False, False),
    ("FAN-80", "80 mm system fan", "fan", False, True),
]

PRODUCTS = [
    # model, line, end of support, layout: list of (slot prefix, count, part number)
    ("SA-4800", "StorArray", None, [("bay", 12, "DRV-4T-7K"), ("PSU", 2, "PSU-1100W"), ("controller", 2, "CTRL-SA4")]),
    ("SA-2400", "StorArray", None, [("bay", 8, "SSD-3T8-NV"), ("PSU", 2, "PSU-1100W"), ("controller", 1, "CTRL-SA4")]),
    (
        "NX-900",
        "NexServe",
        None,
        [("bay", 4, "SSD-3T8-NV"), ("NVRAM", 1, "NVRAM-16G"), ("PSU", 2, "PSU-1100W"), ("fan", 2, "FAN-80")],
    ),
    ("SA-1200", "StorArray (legacy)", date(2025, 6, 30), [("bay", 6, "DRV-4T-7K"), ("PSU", 1, "PSU-1100W")]),
]

REGIONS = {
    "America/New_York": "us-east",
    "America/Chicago": "us-central",
    "Europe/Berlin": "eu-central",
    "Asia/Tokyo": "apac",
}

PLANS = [
    # code, name, calendar, targets (minutes) per severity: first response, next update, resolution; entitlements
    (
        "STD-8x5-NBD",
        "Standard 8x5 next business day",
        "business",
        {1: (60, 240, 600), 2: (120, 480, 1200), 3: (480, 1440, 3000), 4: (960, 2880, 6000)},
        (False, False, False),
    ),
    (
        "PREM-24x7-4H",
        "Premium 24x7 4h",
        "always",
        {1: (30, 60, 240), 2: (60, 240, 480), 3: (240, 1440, 2880), 4: (480, 2880, 7200)},
        (True, True, False),
    ),
    (
        "MC-24x7-2H",
        "Mission Critical 24x7 2h",
        "always",
        {1: (15, 30, 120), 2: (30, 120, 240), 3: (120, 480, 1440), 4: (480, 1440, 4320)},
        (True, True, True),
    ),
]

PARTNERS = [
    # name, e-mail domain, serial prefix, sites (name, address, tz, contact), plan code
    (
        "Northwind Logistics",
        "northwind.example.com",
        "NW",
        [
            (
                "New York DC1",
                "410 Hudson St, New York, NY 10014, USA",
                "America/New_York",
                "Dana Pierce",
                "+1 212 555 0147",
            ),
            (
                "Chicago DC2",
                "350 E Cermak Rd, Chicago, IL 60616, USA",
                "America/Chicago",
                "Luis Ortega",
                "+1 312 555 0199",
            ),
        ],
        "PREM-24x7-4H",
    ),
    (
        "Bergmann Automotive",
        "bergmann-auto.example.com",
        "BA",
        [
            (
                "Stuttgart Werk 1",
                "Mercedesstraße 120, 70372 Stuttgart, Germany",
                "Europe/Berlin",
                "Jana Koch",
                "+49 711 555 0123",
            ),
            (
                "München Labor",
                "Lilienthalallee 40, 80939 München, Germany",
                "Europe/Berlin",
                "Tobias Wolf",
                "+49 89 555 0168",
            ),
        ],
        "MC-24x7-2H",
    ),
    (
        "Sakura Financial",
        "sakura-fin.example.com",
        "SF",
        [
            (
                "Tokyo Otemachi",
                "1-9-2 Otemachi, Chiyoda-ku, Tokyo 100-0004, Japan",
                "Asia/Tokyo",
                "Haruka Sato",
                "+81 3 5555 0101",
            ),
            (
                "Osaka Backup",
                "3-6-1 Dojimahama, Kita-ku, Osaka 530-0004, Japan",
                "Asia/Tokyo",
                "Kenji Mori",
                "+81 6 5555 0177",
            ),
        ],
        "STD-8x5-NBD",
    ),
]

DEMO_USERS = [
    # role, e-mail, name, organisation (None = vendor), region
    ("customer_admin", "ana.admin@northwind.example.com", "Ana Alvarez", "Northwind Logistics", None),
    ("customer_user", "carl.user@northwind.example.com", "Carl Young", "Northwind Logistics", None),
    ("support_engineer", "sam.engineer@casemgr.example.com", "Sam Engel", None, None),
    ("field_engineer", "fiona.field@casemgr.example.com", "Fiona Feld", None, "us-east"),
    ("account_manager", "alex.account@casemgr.example.com", "Alex Acker", None, None),
    ("support_manager", "maria.manager@casemgr.example.com", "Maria Mendes", None, None),
    ("admin", "root.admin@casemgr.example.com", "Robin Admin", None, None),
    ("customer_admin", "jana.koch@bergmann-auto.example.com", "Jana Koch", "Bergmann Automotive", None),
    ("customer_admin", "haruka.sato@sakura-fin.example.com", "Haruka Sato", "Sakura Financial", None),
]


#: The demo's admin, created by the first run (casemgr.first_run) like a real deployment's.
DEMO_ADMIN = "root.admin@casemgr.example.com"


def seed_demo(session: Session, config: dict[str, Any], now: datetime) -> tuple[list[tuple[str, str, str]], bool]:
    """The demo's partners, users and cases on top of the first run (:func:`casemgr.first_run.initialise`,
    which must have run); once. Returns the logins (new passwords each time) and whether the
    demo data was created by this call."""
    fresh = session.scalar(select(Organization).where(Organization.name == PARTNERS[0][0])) is None
    if fresh:
        _seed(session, config, now)
    return _reset_passwords(session), fresh


def _reset_passwords(session: Session) -> list[tuple[str, str, str]]:
    logins = []
    for role, email, *_ in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            continue
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        logins.append((role, email, password))
    session.commit()
    return logins


def _seed(session: Session, config: dict[str, Any], now: datetime) -> None:
    vendor = session.scalar(select(Organization).where(Organization.is_vendor.is_(True)))
    if vendor is None:
        raise RuntimeError("The demo builds on the first run: casemgr.first_run.initialise() comes first.")
    session.add(
        Site(
            organization_id=vendor.id,
            name="Headquarters",
            timezone="America/Los_Angeles",
            address="2100 Mission College Blvd, Santa Clara, CA 95054, USA",
        )
    )
    parts = {
        pn: Part(part_number=pn, description=d, kind=k, data_bearing=db, customer_replaceable=cr)
        for pn, d, k, db, cr in PARTS
    }
    session.add_all(parts.values())
    products = {}
    for model, line, eos, layout in PRODUCTS:
        product = Product(model=model, product_line=line, end_of_support_on=eos)
        product.compatible_parts = sorted({parts[pn] for _, _, pn in layout}, key=lambda p: p.part_number)
        products[model] = (product, layout)
        session.add(product)
    calendars, _created = default_calendars(session)
    calendars["business"].holidays = ["2026-12-25", "2026-12-31", "2027-01-01"]  # the demo's year-end
    plans = {}
    for code, name, cal, targets, (onsite, advance, kyd) in PLANS:
        existing = session.scalar(select(SupportPlan).where(SupportPlan.code == code))
        if existing is not None:  # the first run's fallback plan
            plans[code] = existing
            continue
        plans[code] = SupportPlan(
            code=code,
            name=name,
            calendar=calendars[cal],
            onsite=onsite,
            advance_replacement=advance,
            keep_your_drive=kyd,
            description=name,
            targets={
                str(sev): {"first_response": fr, "next_update": nu, "resolution": res}
                for sev, (fr, nu, res) in targets.items()
            },
        )
    session.add_all(plans.values())
    session.flush()

    orgs = {}
    models = ["SA-4800", "SA-2400", "NX-900"]
    for index, (name, _domain, prefix, sites, plan_code) in enumerate(PARTNERS):
        org = Organization(name=name, is_vendor=False, created_at=now - timedelta(days=400))
        session.add(org)
        session.flush()
        orgs[name] = org
        site_rows = [
            Site(
                organization_id=org.id,
                name=s,
                address=a,
                timezone=tz,
                contact_name=c,
                contact_phone=p,
                region=REGIONS[tz],
            )
            for s, a, tz, c, p in sites
        ]
        session.add_all(site_rows)
        session.flush()
        assets = []
        for n in range(1, 21):
            model = "SA-1200" if n > 18 else models[n % 3]
            product, layout = products[model]
            serial = f"{prefix}{model.replace('-', '')}{index}{n:03d}"
            asset = Asset(
                serial=serial,
                product=product,
                organization_id=org.id,
                site_id=site_rows[n % 2].id,
                created_at=now - timedelta(days=300),
            )
            for slot_prefix, count, pn in layout:
                for slot_no in range(1, count + 1):
                    asset.components.append(
                        Component(
                            slot=f"{slot_prefix} {slot_no}",
                            part=parts[pn],
                            state="active",
                            serial=f"{pn.split('-')[0]}{serial[-6:]}{slot_no:02d}",
                            installed_at=now - timedelta(days=300),
                        )
                    )
            assets.append(asset)
        session.add_all(assets)
        start = date(now.year - 1, 1, 1)
        current = Contract(
            number=f"CT-{prefix}-{now.year}",
            organization_id=org.id,
            plan=plans[plan_code],
            starts_on=start,
            ends_on=date(now.year + 1, 12, 31),
        )
        if plan_code == "STD-8x5-NBD":
            current.assets = assets[:-4]
            expired = Contract(
                number=f"CT-{prefix}-{now.year - 3}",
                organization_id=org.id,
                plan=plans[plan_code],
                starts_on=date(now.year - 3, 1, 1),
                ends_on=date(now.year - 1, 3, 31),
            )
            expired.assets = assets[-4:]  # lapsed: these four assets are out of contract
            session.add(expired)
        else:
            current.assets = assets
        session.add(current)
    session.flush()

    users = {}
    for role, email, name, org_name, region in DEMO_USERS:
        org = orgs[org_name] if org_name else vendor
        admin = session.scalar(select(User).where(User.email == email)) if email == DEMO_ADMIN else None
        if admin is not None:  # the first run's admin
            admin.name = name
            users[email] = admin
            continue
        user = User(
            email=email,
            name=name,
            role=role,
            organization_id=org.id,
            region=region,
            created_at=now,
            tier="L1" if role == "support_engineer" else None,
            password_hash="",
        )
        user.set_password(secrets.token_urlsafe(16))
        session.add(user)
        users[email] = user
    session.flush()
    manager = users["alex.account@casemgr.example.com"]
    for org_name in ("Northwind Logistics", "Bergmann Automotive"):
        session.add(AccountAssignment(account_manager_id=manager.id, organization_id=orgs[org_name].id))
    session.commit()
    _seed_cases(session, config, now, users)


def _seed_cases(session: Session, config: dict[str, Any], now: datetime, users: dict[str, User]) -> None:
    store = attachment_store(config)
    ana = users["ana.admin@northwind.example.com"]
    jana = users["jana.koch@bergmann-auto.example.com"]
    haruka = users["haruka.sato@sakura-fin.example.com"]
    sam = users["sam.engineer@casemgr.example.com"]

    def asset_of(org_user: User, nth: int) -> Asset:
        return list(
            session.scalars(select(Asset).where(Asset.organization_id == org_user.organization_id).order_by(Asset.id))
        )[nth]

    nw = asset_of(ana, 1)
    bay4 = next(c for c in nw.components if c.slot == "bay 4")
    # The safety guard's demo: bay 4 has failed and the RAID group is degraded.
    mark_component(session, sam, bay4, "failed", now - timedelta(hours=5, minutes=10))
    nw.degraded = True
    log = Upload(
        "array-diag.log",
        BytesIO(b"2026-11-24T07:58:01Z bay 4: SMART predictive failure, 212 reallocated\n"),
        "text/plain",
    )
    case1 = case_opening.open_case(
        session,
        ana,
        store,
        asset_serial=nw.serial,
        severity=2,
        component_id=bay4.id,
        uploads=[log],
        subject="Drive in bay 4 failed; RAID degraded",
        description="Bay 4 failed overnight and the RAID group is degraded. Can we reseat it to get redundancy back?",
        now=now - timedelta(hours=5),
    )
    case_services.assign_owner(
        session, sam, case1, owner_id=sam.id, expected_version=None, now=now - timedelta(hours=4, minutes=40)
    )
    case_comments.add_comment(
        session,
        sam,
        store,
        case1,
        public=True,
        now=now - timedelta(hours=4, minutes=30),
        body="Thanks Ana. Please do not reseat the failed drive: it can corrupt the rebuild. "
        "Send the array support bundle and we will ship a replacement under your plan.",
    )
    case_comments.add_comment(
        session,
        sam,
        store,
        case1,
        public=False,
        now=now - timedelta(hours=4, minutes=25),
        body="Internal: same firmware batch as the two drives replaced at Bergmann last month.",
    )
    case_opening.open_case(
        session,
        ana,
        store,
        asset_serial=asset_of(ana, 5).serial,
        severity=3,
        now=now - timedelta(days=2),
        subject="Controller fan noise after firmware update",
        description="Since the 9.2 firmware update the controller fans run at full speed.",
    )
    case_opening.open_case(
        session,
        jana,
        store,
        asset_serial=asset_of(jana, 2).serial,
        severity=1,
        now=now - timedelta(minutes=40),
        subject="Production LUNs offline on Werk 1 array",
        description="All production LUNs on the Werk 1 array went offline at 06:10 local time. Line 3 is stopped.",
    )
    case_opening.open_case(
        session,
        haruka,
        store,
        asset_serial=asset_of(haruka, 19).serial,
        severity=3,
        now=now - timedelta(hours=26),
        subject="PSU 1 amber LED on legacy array",
        description="The legacy SA-1200 in Osaka shows an amber LED on PSU 1.",
    )
    case_opening.open_case(
        session,
        haruka,
        store,
        asset_serial=asset_of(haruka, 3).serial,
        severity=4,
        now=now - timedelta(days=3),
        subject="How to schedule a non-disruptive firmware upgrade",
        description="We would like guidance on upgrading firmware during business hours.",
    )
