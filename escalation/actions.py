"""What a fired step does: notify people, move the tier, raise the hierarchical level."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.roles import TIERS, Role
from casemgr.bulk import bulk_insert
from casemgr.cases.models import Case, CaseEvent
from casemgr.cases.services import account_managers_of
from casemgr.notifications.services import insert_notifications, notification_rows
from escalation.ladder import HIERARCHY, DueFiring, PendingReturn
from escalation.models import EscalationFiring
from escalation.sla import CoverageCalendar

_FIRING_TABLE = EscalationFiring.__table__
_EVENT_TABLE = CaseEvent.__table__


class People:
    """Who a target names, looked up once per runner pass (roles and account teams are few)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[tuple[str, int | None], list[User]] = {}

    def for_target(self, case: Case, target: str, about: PendingReturn | None = None) -> list[User]:
        if target == "return_team":
            return self._by_ids(about.remind_user_ids) if about is not None else []
        if target == "owner":
            if case.owner is not None:
                return [case.owner]
            target = f"tier:{case.queue}"  # nobody owns it yet: the engineers of its queue
        key = (target, case.organization_id if target == "account_manager" else None)
        if key not in self._cache:
            self._cache[key] = self._load(case, target)
        return self._cache[key]

    def _by_ids(self, ids: tuple[int, ...]) -> list[User]:
        missing = [i for i in ids if ("id", i) not in self._cache]
        if missing:
            for user in self._session.scalars(select(User).where(User.id.in_(missing))):
                self._cache[("id", user.id)] = [user]
        return [user for i in ids for user in self._cache.get(("id", i), [])]

    def _load(self, case: Case, target: str) -> list[User]:
        if target == "account_manager":
            return account_managers_of(self._session, case.organization_id)
        if target.startswith("tier:"):
            # The tier's engineers; where no engineer has that tier, every engineer.
            return self._load(case, f"tier-only:{target[5:]}") or self._load(case, f"role:{Role.SUPPORT_ENGINEER}")
        if target.startswith("tier-only:"):
            return list(
                self._session.scalars(
                    select(User)
                    .where(User.role == Role.SUPPORT_ENGINEER, User.tier == target[10:], User.is_active_flag.is_(True))
                    .order_by(User.id)
                )
            )
        if target.startswith("role:"):
            return list(
                self._session.scalars(
                    select(User).where(User.role == target[5:], User.is_active_flag.is_(True)).order_by(User.id)
                )
            )
        if target.startswith("user:"):
            return list(self._session.scalars(select(User).where(User.email == target[5:].lower())))
        return []


def recipients(session: Session, case: Case, target: str) -> list[User]:
    return People(session).for_target(case, target)


def describe(action: str, target: str) -> str:
    """Plain words for the customer's escalation path and the timeline."""
    if action == "move_tier":
        return f"the case moves to {target} engineering"
    if action == "raise_level":
        return f"the {HIERARCHY.get(int(target), 'management')} is paged"
    if target == "account_manager":
        return "your account manager is notified"
    if target == "return_team":
        return "the field engineer and the account team are reminded"
    if target == "owner":
        return "the case owner is reminded"
    if target.startswith("role:"):
        return f"the {target[5:].replace('_', ' ')}s are notified"
    return f"{target[5:]} is notified"


def email_hold(case: Case, calendar: CoverageCalendar, now: datetime) -> datetime | None:
    """Severity 1-2 page at once; 3-4 e-mail waits for coverage hours instead of waking people."""
    if case.severity <= 2 or calendar.is_covered(now):
        return None
    return calendar.next_coverage_start(now)


@dataclass
class Writes:
    """What fired steps write, gathered per case and inserted for a whole batch at once."""

    people: People
    firings: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)

    def extend(self, other: Writes) -> None:
        self.firings += other.firings
        self.events += other.events
        self.notifications += other.notifications

    def insert(self, session: Session) -> None:
        """Firings first: their unique key is what stops a second runner."""
        bulk_insert(session, _FIRING_TABLE, self.firings)
        bulk_insert(session, _EVENT_TABLE, self.events)
        insert_notifications(session, self.notifications)


def perform(out: Writes, case: Case, firing: DueFiring, calendar: CoverageCalendar, now: datetime) -> None:
    """Record one firing and its effects: the case's tier or level, the timeline, the notifications."""
    step = firing.step
    late = firing.late_seconds(now)
    what = describe(step.action, step.target)
    public = step.action in ("move_tier", "raise_level")
    people = out.people
    targets: list[User]
    if step.action == "move_tier":
        if TIERS.index(step.target) > TIERS.index(case.queue if case.queue in TIERS else "L1"):
            case.queue = step.target
        targets = people.for_target(case, f"tier:{step.target}")
    elif step.action == "raise_level":
        case.escalation_level = max(case.escalation_level, int(step.target))
        targets = people.for_target(case, f"role:{Role.SUPPORT_MANAGER}") + people.for_target(case, "account_manager")
    else:
        targets = people.for_target(case, step.target, firing.about)
    about = f"\n{firing.about.label}" if firing.about is not None else ""
    lateness = f" (late by {late // 60} min: the escalation runner was not running)" if late else ""
    out.firings.append(
        {
            "case_id": case.id,
            "step_id": step.id,
            "episode": firing.episode,
            "cycle": firing.cycle,
            "due_at": firing.due_at,
            "fired_at": now,
            "late_seconds": late,
        }
    )
    out.events.append(
        {
            "case_id": case.id,
            "organization_id": case.organization_id,
            "kind": "escalation_fired",
            "actor_id": None,
            "public": public,
            "created_at": now,
            "body": f"{what[0].upper()}{what[1:]} ({step.name}){lateness}.{about}",
            "data": {
                "step_id": step.id,
                "episode": firing.episode,
                "cycle": firing.cycle,
                "due_at": firing.due_at.isoformat(),
                "late_seconds": late,
            },
        }
    )
    out.notifications += notification_rows(
        targets,
        subject=f"[{case.number} S{case.severity}] Escalation: {step.name}",
        body=f"{case.number} ({case.organization.name}): {case.subject}\n\n{step.name}: {what}.{lateness}{about}",
        now=now,
        case_id=case.id,
        severity=case.severity,
        email_not_before=email_hold(case, calendar, now),
    )
