"""Macros: the vendor's canned replies, kept by support managers, applied on the reply form.

A macro is checked twice by the safety guard. At save time its text (placeholders
filled with sample values) is read against a system with a failed part of every
kind, so an instruction to put a failed part back in service is refused before it
is ever stored; the refusal is audited like any other (channel ``macro``). At send
time the filled text is a reply like any other: ``add_comment`` runs the guard
against the case's own asset.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.cases.rules import CaseRuleError
from casemgr.concurrency import detect_conflicts
from casemgr.errors import ConflictError, ForbiddenError, NotFoundError
from casemgr.queue.macro_rules import SAMPLE_VALUES, check_macro, fill
from casemgr.queue.models import Macro
from casemgr.safety import services as safety
from casemgr.safety.rules import ActionKind, AssetFacts, ComponentFacts
from casemgr.safety.text import scan_reply

log = logging.getLogger(__name__)

#: Who keeps the macros.
MACRO_MANAGERS = frozenset({Role.SUPPORT_MANAGER, Role.ADMIN})

#: A system with a failed part of every kind: what a macro must be safe for, whatever case it is used on.
_SAMPLE_PARTS = (
    ("bay 1", "drive", "4 TB hard drive", True),
    ("bay 2", "ssd", "3.84 TB NVMe SSD", True),
    ("NVRAM 1", "nvram", "16 GB NVRAM card", True),
    ("PSU 1", "psu", "1100 W power supply", False),
    ("controller 1", "controller", "storage controller", False),
    ("fan 1", "fan", "80 mm system fan", False),
)
SAMPLE_COMPONENTS = tuple(
    ComponentFacts(
        serial=f"SAMPLE-{i}",
        slot=slot,
        part_number=f"PN-{kind.upper()}",
        part_description=description,
        kind_word=kind,
        state="failed",
        data_bearing=data_bearing,
    )
    for i, (slot, kind, description, data_bearing) in enumerate(_SAMPLE_PARTS, start=1)
)
SAMPLE_ASSET = AssetFacts(serial=SAMPLE_VALUES["asset_serial"])


def require_macro_manager(actor: User) -> None:
    if actor.role not in MACRO_MANAGERS:
        raise ForbiddenError("Only support managers keep the macros.")


def macros(session: Session) -> list[Macro]:
    return list(session.scalars(select(Macro).order_by(Macro.name)))


def get_macro(session: Session, macro_id: int) -> Macro:
    macro = session.get(Macro, macro_id)
    if macro is None:
        raise NotFoundError("No such macro.")
    return macro


#: How a refused macro's reason names what it asks for.
_ASKED = {
    ActionKind.RESEAT_COMPONENT: "reseat",
    ActionKind.REINSERT_COMPONENT: "put back",
    ActionKind.INSTALL_COMPONENT: "install",
    ActionKind.FORCE_ONLINE: "bring back online",
    ActionKind.CLEAR_FAULT: "clear the fault of",
    ActionKind.POWER_CYCLE: "power back on",
}


def _guard(session: Session, actor: User, body: str, now: datetime) -> None:
    """Refuse (and audit) a macro that would tell a customer to put a failed part back.

    It is read against a system with a failed part of every kind; the refusal names what the
    text asks for (one per rule and action), not the made-up parts it was read against."""
    findings = scan_reply(fill(body, SAMPLE_VALUES), SAMPLE_COMPONENTS, SAMPLE_ASSET)
    refusals: dict[tuple[str | None, str], safety.Refusal] = {}
    for finding in findings:
        asked = _ASKED.get(finding.action, finding.action.value)
        decision = replace(
            finding.decision,
            reason=f"this macro asks to {asked} a failed {finding.component.kind_word}: a macro goes out on every "
            "kind of case, including one where that part has failed",
        )
        refusal = safety.Refusal(decision, finding.action.value, None, finding.excerpt, finding.by_model)
        refusals.setdefault((decision.rule_code, finding.action.value), refusal)
    if refusals:
        safety.record_refusals(session, actor, list(refusals.values()), channel="macro", now=now)


def _name_free(session: Session, name: str, macro_id: int | None = None) -> None:
    other = session.scalar(select(Macro.id).where(Macro.name == name))
    if other is not None and other != macro_id:
        raise CaseRuleError(f"A macro named “{name}” exists already.")


def create_macro(session: Session, actor: User, *, name: str, body: str, now: datetime) -> Macro:
    require_macro_manager(actor)
    name, body = check_macro(name, body)
    _name_free(session, name)
    _guard(session, actor, body, now)
    macro = Macro(name=name, body=body, created_by_id=actor.id, updated_by_id=actor.id, created_at=now, updated_at=now)
    session.add(macro)
    session.commit()
    log.info("user %s created macro %s", actor.id, macro.id)
    return macro


@detect_conflicts("macro")
def update_macro(
    session: Session, actor: User, macro_id: int, *, name: str, body: str, expected_version: int | None, now: datetime
) -> Macro:
    require_macro_manager(actor)
    macro = get_macro(session, macro_id)
    if expected_version is not None and macro.version != expected_version:
        raise ConflictError(
            f"The macro was changed by someone else since you opened it (version {macro.version} now,"
            f" yours {expected_version}). Reload and try again."
        )
    name, body = check_macro(name, body)
    _name_free(session, name, macro.id)
    _guard(session, actor, body, now)
    macro = get_macro(session, macro_id)  # the guard's audit may have rolled back: read it again
    macro.name, macro.body, macro.updated_by_id, macro.updated_at = name, body, actor.id, now
    session.commit()
    log.info("user %s updated macro %s", actor.id, macro.id)
    return macro


def delete_macro(session: Session, actor: User, macro_id: int) -> None:
    require_macro_manager(actor)
    session.delete(get_macro(session, macro_id))
    session.commit()
    log.info("user %s deleted macro %s", actor.id, macro_id)


def values_for(case: Case, actor: User) -> dict[str, str]:
    """What the placeholders stand for on ``case``, applied by ``actor``."""
    opener = case.opened_by
    customer = opener.name if opener is not None and opener.is_customer else case.organization.name
    return {
        "customer_name": customer,
        "organization": case.organization.name,
        "case_number": case.number,
        "asset_serial": case.asset.serial if case.asset else "",
        "owner_name": case.owner.name if case.owner else actor.name,
    }


def apply_macro(session: Session, actor: User, case: Case, macro_id: int) -> str:
    """The macro's text filled for ``case``: what goes into the reply box (sent like any reply)."""
    if not actor.works_cases:
        raise ForbiddenError("Only support staff use macros.")
    return fill(get_macro(session, macro_id).body, values_for(case, actor))
