"""Demo history so that partner pages and account reviews are not empty:
~12 weeks of resolved cases per partner, with SLA outcomes, commitments and
customer ratings. Idempotent (skipped once any rating exists)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset
from casemgr.auth.models import User
from casemgr.auth.roles import CUSTOMER_ROLES, Role
from casemgr.cases.models import Case, CaseEvent, Commitment
from casemgr.cases.rules import format_case_number
from casemgr.contracts.services import active_contract_for
from casemgr.numbering import next_value
from casemgr.organizations.models import Organization
from reports.models import CaseRating

SUBJECTS = [
    "Drive predictive failure alert",
    "Controller failover during backup window",
    "PSU redundancy lost",
    "Latency spikes on volume group",
    "Firmware upgrade guidance",
    "Fan speed alarm",
    "NVRAM battery warning",
    "Replication lag to DR site",
    "Array unreachable after power event",
    "Question about licence keys",
]
PROMISES = [
    "Call back with the replacement's tracking number",
    "Send the root-cause analysis",
    "Confirm the field engineer's arrival window",
    "Share the firmware fix schedule",
]
COMMENTS = {
    5: ["Fast and clear, thank you!", "Excellent: the engineer called back within minutes.", ""],
    4: ["Good support, the part arrived next morning.", "Resolved well, a bit slow at first.", ""],
    3: ["OK in the end, but we had to chase for updates.", ""],
    2: ["Took too long to get a first answer."],
    1: ["Production was down for hours and updates were rare."],
}


def seed_demo(session: Session, now: datetime) -> None:
    if session.scalar(select(CaseRating.id).limit(1)) is not None:
        return
    rng = random.Random(6)
    engineers = list(session.scalars(select(User).where(User.role == Role.SUPPORT_ENGINEER).order_by(User.id)))
    if not engineers:
        return
    for org in session.scalars(select(Organization).where(Organization.is_vendor.is_(False)).order_by(Organization.id)):
        customers = list(
            session.scalars(select(User).where(User.organization_id == org.id, User.role.in_(sorted(CUSTOMER_ROLES))))
        )
        assets = list(session.scalars(select(Asset).where(Asset.organization_id == org.id).order_by(Asset.id)))
        if not customers or not assets:
            continue
        hot = assets[: max(len(assets) // 6, 1)]  # a few troublesome systems get most cases
        for day in range(88, 2, -1):
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
                created = (now - timedelta(days=day)).replace(
                    hour=rng.randint(6, 19), minute=rng.randint(0, 59), second=0, microsecond=0
                )
                _history_case(
                    session,
                    rng,
                    org,
                    rng.choice(customers),
                    rng.choice(engineers),
                    rng.choice(hot if rng.random() < 0.6 else assets),
                    created,
                )
    session.commit()


def _history_case(
    session: Session,
    rng: random.Random,
    org: Organization,
    customer: User,
    engineer: User,
    asset: Asset,
    created: datetime,
) -> None:
    severity = rng.choices((1, 2, 3, 4), weights=(1, 3, 5, 3))[0]
    target = {1: 30, 2: 60, 3: 240, 4: 480}[severity]
    first = created + timedelta(minutes=rng.randint(5, int(target * 1.08)))
    resolved = created + timedelta(hours=rng.uniform(1, 6 * severity**1.5))
    res_breached = rng.random() < 0.08 + 0.05 * (severity == 1)
    contract = active_contract_for(session, asset.id, created.date())
    status = "closed" if rng.random() < 0.6 else "resolved"
    case = Case(
        number=format_case_number(next_value(session, "case")),
        organization_id=org.id,
        asset_id=asset.id,
        contract_id=contract.id if contract else None,
        entitled=contract is not None,
        severity=severity,
        status=status,
        subject=rng.choice(SUBJECTS),
        description="(demo history)",
        opened_by_id=customer.id,
        owner_id=engineer.id,
        queue=rng.choice(("L1", "L1", "L2", "L3")),
        escalation_level=1 if res_breached else 0,
        first_response_due_at=created + timedelta(minutes=target),
        first_response_at=first,
        first_response_breached=first > created + timedelta(minutes=target),
        resolution_due_at=created + timedelta(minutes=target * 8),
        resolution_breached=res_breached,
        created_at=created,
        updated_at=resolved,
        resolved_at=resolved,
        closed_at=resolved + timedelta(days=1) if status == "closed" else None,
    )
    session.add(case)
    session.flush()
    events: list[tuple[str, User | None, datetime, bool, str, dict[str, object]]] = [
        (
            "opened",
            customer,
            created,
            True,
            "(demo history)",
            {"severity": severity, "subject": case.subject, "channel": "portal"},
        ),
        ("comment", engineer, first, True, "We are on it: please send the support bundle.", {}),
        (
            "status_changed",
            engineer,
            resolved,
            True,
            "Fixed by the replacement part.",
            {"from": "in_progress", "to": "resolved"},
        ),
    ]
    if case.closed_at is not None:  # status "closed"
        events.append(("status_changed", customer, case.closed_at, True, "", {"from": "resolved", "to": "closed"}))
    if res_breached:
        events.append(
            (
                "escalation_fired",
                None,
                created + timedelta(minutes=target * 8),
                False,
                "Resolution target passed: raised to the duty manager.",
                {},
            )
        )
    for kind, who, at, public, body, data in events:
        session.add(
            CaseEvent(
                case_id=case.id,
                kind=kind,
                actor_id=who.id if who else None,
                public=public,
                body=body,
                data=data,
                created_at=at,
            )
        )
    if rng.random() < 0.15:
        due = first + timedelta(hours=2)
        late = rng.random() < 0.5
        session.add(
            Commitment(
                case_id=case.id,
                description=rng.choice(PROMISES),
                recipient=customer.name,
                owner_id=engineer.id,
                due_at=due,
                status="kept",
                created_by_id=engineer.id,
                kept_at=due + timedelta(minutes=rng.randint(10, 180) if late else -20),
                created_at=first,
            )
        )
    if rng.random() < 0.7:
        rating = rng.choices((5, 4, 3, 2, 1), weights=(5, 4, 2, 1, 1 + 2 * res_breached))[0]
        session.add(
            CaseRating(
                case_id=case.id,
                organization_id=org.id,
                rating=rating,
                comment=rng.choice(COMMENTS[rating]),
                rated_by_id=customer.id,
                created_at=resolved + timedelta(hours=3),
            )
        )
