"""Support managers edit ladders and plan targets: validation lives here, not in views."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casemgr import audit
from casemgr.auth.models import User
from casemgr.auth.roles import CUSTOMER_ROLES, TIERS, Role
from casemgr.cases.models import Case
from casemgr.cases.rules import OPEN_STATUSES, CaseRuleError
from casemgr.concurrency import detect_conflicts
from casemgr.contracts.models import Contract, SupportPlan
from casemgr.errors import ConflictError, ForbiddenError
from escalation.context import Ladders
from escalation.ladder import HIERARCHY
from escalation.models import EscalationFiring, EscalationLadder, EscalationStep
from escalation.services import Settings, refresh_case

MANAGERS = (Role.SUPPORT_MANAGER, Role.ADMIN)


def require_manager(actor: User) -> None:
    if actor.role not in MANAGERS:
        raise ForbiddenError("Only support managers edit ladders and plans.")


def validate_step(
    condition: str, offset_minutes: int | None, offset_percent: int | None, action: str, target: str
) -> None:
    if (offset_minutes is None) == (offset_percent is None):
        raise CaseRuleError("Give either an offset in minutes or a percentage of the target, not both.")
    if offset_percent is not None and condition in ("commitment_missed", "customer_request", "return_overdue"):
        raise CaseRuleError("Commitments, customer requests and returns have no target: use minutes.")
    if (target == "return_team") != (condition == "return_overdue") and action == "notify":
        raise CaseRuleError(
            "'return_team' (the RMA's field engineer and account team) goes with 'return_overdue', and only there."
        )
    if action == "move_tier" and target not in TIERS:
        raise CaseRuleError(f"A tier move needs one of {', '.join(TIERS)}.")
    if action == "raise_level" and target not in {str(k) for k in HIERARCHY if k}:
        raise CaseRuleError("A level is 1 (duty manager), 2 (support manager) or 3 (director).")
    if action == "notify" and not (
        target in ("owner", "account_manager", "return_team") or target.startswith(("role:", "user:"))
    ):
        raise CaseRuleError("Notify 'owner', 'account_manager', 'return_team', 'role:<role>' or 'user:<email>'.")


def check_target_exists(session: Session, action: str, target: str) -> None:
    """A notify target must name someone who can be told: a vendor role (customer roles
    span every organisation) or an active vendor user. Refused before it is saved, so a
    ladder never pages nobody."""
    if action != "notify":
        return
    if target.startswith("role:"):
        role = target[5:]
        if role not in {r.value for r in Role} or role in CUSTOMER_ROLES:
            vendor_roles = ", ".join(sorted(r.value for r in Role if r not in CUSTOMER_ROLES))
            raise CaseRuleError(f"{target!r} names no vendor role; use one of: {vendor_roles}.")
    elif target.startswith("user:"):
        email = target[5:].strip().lower()
        user = session.scalar(select(User).where(User.email == email))
        if user is None or not user.is_active or user.is_customer:
            raise CaseRuleError(f"{target!r} names no active vendor user; check the e-mail address.")


def _describe(step: EscalationStep) -> str:
    after = f"{step.offset_minutes} min" if step.offset_minutes is not None else f"{step.offset_percent}%"
    repeat = f", every {step.repeat_minutes} min" if step.repeat_minutes else ""
    return f"#{step.position} {step.name!r}: {step.condition} after {after} -> {step.action} {step.target}{repeat}"


@detect_conflicts("ladder step")
def save_step(
    session: Session,
    actor: User,
    ladder_id: int,
    step_id: int | None,
    values: dict,
    now: datetime,
    settings: Settings,
    *,
    expected_version: int | None = None,
) -> EscalationStep:
    """Add a step (``step_id`` None) or change one, validated; audited; open cases re-timed.

    ``expected_version``: the step's version the caller edited (the API sends it); a step
    changed since is a conflict, never overwritten."""
    require_manager(actor)
    ladder = session.get(EscalationLadder, ladder_id)
    if ladder is None:
        raise CaseRuleError("No such ladder.")
    validate_step(
        values["condition"],
        values["offset_minutes"],
        values["offset_percent"],
        values["action"],
        values["target"].strip(),
    )
    check_target_exists(session, values["action"], values["target"].strip())
    step = session.get(EscalationStep, step_id) if step_id else None
    if step is None or step.ladder_id != ladder.id:
        step = EscalationStep(ladder=ladder, position=len(ladder.steps) + 1)
    elif expected_version is not None and expected_version != step.version:
        raise ConflictError(
            f"Step {step.position} of {ladder.name} was changed by someone else (version {step.version}, "
            f"you edited version {expected_version}). Reload and try again."
        )
    before = _describe(step) if step.id else None
    for key, value in values.items():
        setattr(step, key, value.strip() if isinstance(value, str) else value)
    session.add(step)
    session.flush()
    change = f"{before} -> {_describe(step)}" if before else f"added {_describe(step)}"
    audit.record(session, actor, "ladder.step_saved", "ladder", ladder.id, f"{ladder.name}: {change}", now)
    _refresh_open_cases(session, now, settings, severity=ladder.severity)
    session.commit()
    return step


def delete_step(session: Session, actor: User, step_id: int, now: datetime, settings: Settings) -> None:
    """Removing a step keeps its past firings: history stays intact, the step just stops."""
    require_manager(actor)
    step = session.get(EscalationStep, step_id)
    if step is None:
        raise CaseRuleError("No such step.")
    if session.scalar(select(EscalationFiring.id).where(EscalationFiring.step_id == step.id).limit(1)):
        raise CaseRuleError("This step has already fired on cases; change its timing instead of deleting it.")
    ladder = step.ladder
    severity = ladder.severity
    audit.record(session, actor, "ladder.step_deleted", "ladder", ladder.id, f"{ladder.name}: {_describe(step)}", now)
    session.delete(step)
    session.flush()
    _refresh_open_cases(session, now, settings, severity=severity)
    session.commit()


def save_targets(
    session: Session, actor: User, plan_id: int, targets: dict[str, dict[str, int]], now: datetime, settings: Settings
) -> SupportPlan:
    require_manager(actor)
    plan = session.get(SupportPlan, plan_id)
    if plan is None:
        raise CaseRuleError("No such plan.")
    for severity, row in targets.items():
        if not all(isinstance(v, int) and 1 <= v <= 525600 for v in row.values()):
            raise CaseRuleError(f"Severity {severity}: every target must be 1 to 525600 minutes.")
        if row["first_response"] > row["resolution"]:
            raise CaseRuleError(f"Severity {severity}: first response cannot be later than resolution.")
    plan.targets = targets
    session.flush()
    _refresh_open_cases(session, now, settings, plan_id=plan.id)
    session.commit()
    return plan


def refresh_cases_on_calendar(session: Session, calendar_id: int, now: datetime, settings: Settings) -> None:
    """A coverage calendar changed (``CoverageCalendarChanged``): re-time the open cases on
    plans that use it, and those without a contract (they run on the fallback plan)."""
    _refresh_open_cases(session, now, settings, calendar_id=calendar_id)


def _refresh_open_cases(
    session: Session,
    now: datetime,
    settings: Settings,
    *,
    severity: int | None = None,
    plan_id: int | None = None,
    calendar_id: int | None = None,
) -> None:
    """A rule change re-times the open cases it touches (their pauses come from the timeline)."""
    stmt = select(Case).where(Case.status.in_(sorted(OPEN_STATUSES)))
    if severity is not None:
        stmt = stmt.where(Case.severity == severity)
    if plan_id is not None:
        stmt = stmt.join(Contract, Contract.id == Case.contract_id).where(Contract.plan_id == plan_id)
    if calendar_id is not None:
        on_calendar = select(Contract.id).join(SupportPlan, SupportPlan.id == Contract.plan_id)
        stmt = stmt.where(
            or_(
                Case.contract_id.is_(None),
                Case.contract_id.in_(on_calendar.where(SupportPlan.calendar_id == calendar_id)),
            )
        )
    all_ladders = Ladders.load(session)
    for case in session.scalars(stmt):
        refresh_case(session, case, now, settings, all_ladders)
