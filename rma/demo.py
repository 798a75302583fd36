"""Demo RMAs in several states, built through the services so the timelines are real.

Idempotent: nothing happens once any RMA exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.cases import comments as case_comments
from casemgr.cases import opening as case_opening
from casemgr.cases import services as case_services
from casemgr.cases.attachments import AttachmentStore
from casemgr.cases.models import Case
from casemgr.organizations.models import Organization
from rma import dispatch, returns, services
from rma.models import Rma


class _NoStore(AttachmentStore):
    def __init__(self) -> None:  # the demo cases here carry no files
        pass


def _user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def _assets(session: Session, org_name: str) -> list[Asset]:
    return list(
        session.scalars(select(Asset).join(Organization).where(Organization.name == org_name).order_by(Asset.id))
    )


def seed(session: Session, now: datetime) -> None:
    if session.scalar(select(func.count()).select_from(Rma)):
        return
    sam = _user(session, "sam.engineer@casemgr.example.com")
    maria = _user(session, "maria.manager@casemgr.example.com")
    fiona = _user(session, "fiona.field@casemgr.example.com")
    ana = _user(session, "ana.admin@northwind.example.com")
    jana = _user(session, "jana.koch@bergmann-auto.example.com")
    haruka = _user(session, "haruka.sato@sakura-fin.example.com")
    if sam is None or maria is None or fiona is None or ana is None or jana is None or haruka is None:
        return  # the core demo's users are not there
    store = _NoStore()

    def h(hours: float) -> datetime:
        return now - timedelta(hours=hours)

    # 1. Northwind, last month: bay 2 failed, advance replacement, returned and analysed, closed.
    nw = _assets(session, "Northwind Logistics")[1]
    bay2 = next(c for c in nw.components if c.slot == "bay 2")
    old = case_opening.open_case(
        session,
        ana,
        store,
        asset_serial=nw.serial,
        severity=2,
        component_id=bay2.id,
        subject="Bay 2 drive reports media errors",
        now=h(24 * 30),
        description="The array flagged bay 2 with media errors during the nightly scrub.",
    )
    case_services.assign_owner(session, sam, old, owner_id=sam.id, expected_version=None, now=h(24 * 30 - 0.2))
    r = services.open_rma(
        session,
        sam,
        old,
        component_id=bay2.id,
        kind="advance_replacement",
        now=h(24 * 30 - 0.5),
        problem="Media errors on bay 2 during scrub.",
    )
    services.ship_replacement(session, sam, r, carrier="UPS", tracking="1Z999AA10123456784", now=h(24 * 30 - 2))
    services.deliver_replacement(session, sam, r, now=h(24 * 29))
    services.install(
        session, sam, r, serial=f"{bay2.part.part_number.split('-')[0]}{nw.serial[-6:]}92", now=h(24 * 29 - 2)
    )
    returns.ship_return(session, sam, r, carrier="UPS", tracking="1Z999AA10123456791", now=h(24 * 28))
    returns.receive_return(session, sam, r, returned_serial=bay2.serial, now=h(24 * 25))
    returns.analyse(
        session,
        sam,
        r,
        result="confirmed",
        failure_code="MEDIA",
        now=h(24 * 22),
        notes="Grown defect list above threshold; head 3 degraded.",
    )
    services.close(session, sam, r, now=h(24 * 22 - 1))
    case_services.close_case(session, sam, old, reason="resolved", expected_version=None, now=h(24 * 22 - 1))

    # 2. Northwind today: the bay 4 failure of the demo case, on-site dispatch to Fiona.
    case1 = session.scalar(select(Case).where(Case.asset_id == nw.id, Case.subject.like("Drive in bay 4%")))
    if case1 is not None:
        bay4 = next(c for c in nw.components if c.slot == "bay 4" and c.state != "removed")
        r = services.open_rma(
            session,
            sam,
            case1,
            component_id=bay4.id,
            kind="onsite_dispatch",
            now=h(4.2),
            problem="Bay 4 failed; RAID degraded. Do not reseat.",
        )
        services.ship_replacement(session, sam, r, carrier="FedEx Priority", tracking="7749 1234 5678", now=h(3.5))
        services.deliver_replacement(session, sam, r, now=h(1.2))
        dispatch.schedule_dispatch(
            session, sam, r, engineer_id=fiona.id, window_start=h(-0.5), window_end=h(-2.5), now=h(1)
        )

    # 3. Bergmann (Mission Critical, keep-your-drive): an SSD replaced, the failed one retained.
    ba = _assets(session, "Bergmann Automotive")
    asset = next(a for a in ba if any(c.part.kind in ("ssd", "drive") for c in a.components))
    drive = next(c for c in asset.components if c.part.kind in ("ssd", "drive") and c.slot.endswith(" 3"))
    kcase = case_opening.open_case(
        session,
        jana,
        store,
        asset_serial=asset.serial,
        severity=3,
        component_id=drive.id,
        subject=f"{drive.slot.capitalize()} predictive failure",
        now=h(50),
        description=f"{drive.slot.capitalize()} reports a predictive failure. Our policy: drives never leave the site.",
    )
    case_services.assign_owner(session, sam, kcase, owner_id=sam.id, expected_version=None, now=h(49.9))
    case_comments.add_comment(
        session,
        sam,
        store,
        kcase,
        public=True,
        now=h(49.8),
        body="Hello Jana, your Mission Critical plan includes keep-your-drive: we ship a new "
        "SSD now and the failed one stays with you. You will get a retention certificate.",
    )
    r = services.open_rma(
        session,
        sam,
        kcase,
        component_id=drive.id,
        kind="advance_replacement",
        now=h(49),
        problem=f"{drive.slot.capitalize()} predictive failure; keep-your-drive applies.",
    )
    services.ship_replacement(session, sam, r, carrier="DHL Express", tracking="JD014600006281230412", now=h(47))
    services.deliver_replacement(session, sam, r, now=h(30))
    installer = jana if drive.part.customer_replaceable else sam  # customer-replaceable: Jana swaps it herself
    services.install(
        session, installer, r, serial=f"{drive.part.part_number.split('-')[0]}{asset.serial[-6:]}93", now=h(28)
    )

    # 4. Sakura, out of contract: a PSU RMA waiting for a support manager's approval.
    sakura = _assets(session, "Sakura Financial")
    legacy = sakura[19]
    psu_case = session.scalar(select(Case).where(Case.asset_id == legacy.id))
    if psu_case is not None:
        psu = next(c for c in legacy.components if c.slot == "PSU 1")
        services.open_rma(
            session,
            sam,
            psu_case,
            component_id=psu.id,
            kind="return_and_replace",
            now=h(20),
            problem="PSU 1 amber LED; asset has no active contract.",
        )
    session.commit()
