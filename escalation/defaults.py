"""Default ladders, functional (owner -> L2 -> L3) and hierarchical (duty manager ->
support manager -> director), seeded by ``casemgr demo`` and editable in the UI."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.models import EscalationLadder, EscalationStep

# name, condition, minutes, percent, action, target, repeat minutes
Step = tuple[str, str, int | None, int | None, str, str, int | None]

CRITICAL: list[Step] = [
    ("Remind the owner", "not_acknowledged", None, 50, "notify", "owner", None),
    ("Page L2 on call", "not_acknowledged", None, 100, "move_tier", "L2", None),
    ("Page the duty manager", "not_acknowledged", None, 150, "raise_level", "1", None),
    ("Update overdue: remind the owner", "no_update", None, 100, "notify", "owner", 30),
    ("Update long overdue: duty manager", "no_update", None, 200, "raise_level", "1", None),
    ("Resolution at risk: L3 engineering", "not_resolved", None, 75, "move_tier", "L3", None),
    ("Resolution breached: support manager", "not_resolved", None, 100, "raise_level", "2", None),
    ("Resolution far overdue: director", "not_resolved", None, 200, "raise_level", "3", None),
    ("Commitment missed: remind the owner", "commitment_missed", 0, None, "notify", "owner", None),
    ("Commitment missed 30 min: duty manager", "commitment_missed", 30, None, "raise_level", "1", None),
    ("Customer request: tell the account manager", "customer_request", 0, None, "notify", "account_manager", None),
]
HIGH: list[Step] = [
    ("Remind the owner", "not_acknowledged", None, 75, "notify", "owner", None),
    ("Move to L2", "not_acknowledged", None, 100, "move_tier", "L2", None),
    ("Page the duty manager", "not_acknowledged", None, 200, "raise_level", "1", None),
    ("Update overdue: remind the owner", "no_update", None, 100, "notify", "owner", 60),
    ("Resolution breached: duty manager", "not_resolved", None, 100, "raise_level", "1", None),
    ("Resolution far overdue: support manager", "not_resolved", None, 200, "raise_level", "2", None),
    ("Commitment missed: remind the owner", "commitment_missed", 0, None, "notify", "owner", None),
    ("Customer request: tell the account manager", "customer_request", 0, None, "notify", "account_manager", None),
]
NORMAL: list[Step] = [
    ("First response due: remind the owner", "not_acknowledged", None, 100, "notify", "owner", None),
    ("No answer yet: move to L2", "not_acknowledged", None, 150, "move_tier", "L2", None),
    ("Update overdue: remind the owner", "no_update", None, 100, "notify", "owner", None),
    ("Resolution breached: duty manager", "not_resolved", None, 100, "raise_level", "1", None),
    ("Commitment missed: remind the owner", "commitment_missed", 0, None, "notify", "owner", None),
    ("Customer request: tell the account manager", "customer_request", 0, None, "notify", "account_manager", None),
]
#: Every ladder: a defective part not back in time reminds vendor staff daily (never the customer).
RETURN: Step = (
    "Defective part not returned: remind the field engineer and account team",
    "return_overdue",
    0,
    None,
    "notify",
    "return_team",
    1440,
)
CRITICAL.append(RETURN)
HIGH.append(RETURN)
NORMAL.append(RETURN)

DEFAULTS = {
    1: ("Severity 1 (critical)", CRITICAL),
    2: ("Severity 2 (high)", HIGH),
    3: ("Severity 3 (medium)", NORMAL),
    4: ("Severity 4 (low)", NORMAL),
}


def seed_default_ladders(session: Session) -> int:
    """Create the default ladder of each severity that has none yet."""
    existing = set(session.scalars(select(EscalationLadder.severity).where(EscalationLadder.plan_id.is_(None))))
    created = 0
    for severity, (name, steps) in DEFAULTS.items():
        if severity in existing:
            continue
        ladder = EscalationLadder(name=name, severity=severity, plan_id=None)
        ladder.steps = [
            EscalationStep(
                position=i,
                name=n,
                condition=c,
                offset_minutes=m,
                offset_percent=p,
                action=a,
                target=t,
                repeat_minutes=r,
            )
            for i, (n, c, m, p, a, t, r) in enumerate(steps, start=1)
        ]
        session.add(ladder)
        created += 1
    session.commit()
    return created
