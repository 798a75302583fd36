"""The one gate every path goes through: customer-visible text, action plans and installs.

A refused attempt is recorded (SafetyBlock and an internal timeline entry) and
committed on its own, then :class:`SafetyBlocked` is raised so the caller shows
the reason and the safe alternative; the attempted change itself is never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset, Component, QuarantinedSerial
from casemgr.assets.serials import serial_key
from casemgr.auth.models import User
from casemgr.auth.roles import CUSTOMER_ROLES
from casemgr.cases.models import Case, CaseEvent
from casemgr.errors import SafetyRefused
from casemgr.metrics.series import SAFETY_BLOCKS
from casemgr.safety.models import SafetyBlock
from casemgr.safety.rules import ActionKind, AssetFacts, ComponentFacts, Decision, evaluate
from casemgr.safety.text import Finding, scan_reply


@dataclass(frozen=True)
class Refusal:
    decision: Decision
    action: str
    component_serial: str | None
    attempted: str
    by_model: bool = False  # found by the reply scanner's second opinion, not by its rules


class SafetyBlocked(SafetyRefused):
    """Refused by the safety guard (422 ``safety_guard``); ``refusals`` say why and what to do instead."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        self.refusals = list(refusals)
        first = self.refusals[0].decision
        super().__init__(f"{first.reason}. Instead: {first.safe_alternative}.")

    @property
    def details(self) -> list[dict[str, str | None]]:
        return self.as_details()

    def as_details(self) -> list[dict[str, str | None]]:
        return [
            {
                "rule": r.decision.rule_code,
                "reason": r.decision.reason,
                "safe_alternative": r.decision.safe_alternative,
                "action": r.action,
                "component_serial": r.component_serial,
                "attempted": r.attempted,
            }
            for r in self.refusals
        ]


def _quarantined(session: Session, serials: Iterable[str]) -> set[str]:
    """The keys (``casemgr.assets.serials.serial_key``) of those serials on the quarantine list."""
    keys = sorted({serial_key(s) for s in serials})
    if not keys:
        return set()
    return set(session.scalars(select(QuarantinedSerial.serial_key).where(QuarantinedSerial.serial_key.in_(keys))))


def component_facts(session: Session, asset: Asset) -> list[ComponentFacts]:
    quarantined = _quarantined(session, (c.serial for c in asset.components))
    return [
        ComponentFacts(
            serial=c.serial,
            slot=c.slot,
            part_number=c.part.part_number,
            part_description=c.part.description,
            kind_word=c.part.kind,
            state=c.state,
            data_bearing=c.part.data_bearing,
            pending_failure=c.state == "suspect",
            serial_quarantined=serial_key(c.serial) in quarantined,
        )
        for c in asset.components
    ]


def asset_facts(asset: Asset) -> AssetFacts:
    return AssetFacts(serial=asset.serial, rebuilding=asset.rebuilding, degraded=asset.degraded)


def record_refusals(
    session: Session,
    actor: User | None,
    refusals: Sequence[Refusal],
    *,
    channel: str,
    now: datetime,
    case: Case | None = None,
    asset: Asset | None = None,
) -> None:
    """Keep the audit trail, commit it, and raise: the attempt itself is discarded."""
    session.rollback()
    org_id = case.organization_id if case else (asset.organization_id if asset else None)
    for r in refusals:
        session.add(
            SafetyBlock(
                case_id=case.id if case else None,
                asset_id=asset.id if asset else None,
                organization_id=org_id,
                actor_id=actor.id if actor else None,
                channel=channel,
                action=r.action,
                rule_code=r.decision.rule_code or "",
                reason=r.decision.reason or "",
                safe_alternative=r.decision.safe_alternative or "",
                component_serial=r.component_serial,
                attempted=r.attempted[:4000],
                created_at=now,
            )
        )
    if case is not None:
        session.add(
            CaseEvent(
                case_id=case.id,
                kind="safety_block",
                actor_id=actor.id if actor else None,
                public=False,
                created_at=now,
                body="; ".join(f"{r.decision.rule_code}: {r.decision.reason}" for r in refusals),
                data={
                    "channel": channel,
                    "rules": [r.decision.rule_code for r in refusals],
                    "by_model": any(r.by_model for r in refusals),
                },
            )
        )
    session.commit()
    for r in refusals:  # counted once the audit trail is kept
        SAFETY_BLOCKS.labels(channel=channel, action=r.action).inc()
    raise SafetyBlocked(refusals)


def scan_case_text(session: Session, case: Case, text: str) -> list[Finding]:
    if case.asset is None or not text:
        return []
    return scan_reply(text, component_facts(session, case.asset), asset_facts(case.asset))


def written_by_customer(actor: User | None) -> bool:
    """The customer's own words are theirs; vendor staff and automation (no actor) are checked."""
    return actor is not None and actor.role in CUSTOMER_ROLES


def guard_customer_text(
    session: Session,
    actor: User | None,
    text: str,
    *,
    channel: str,
    now: datetime,
    case: Case | None = None,
    asset: Asset | None = None,
) -> None:
    """Refuse text a customer will read that tells them to put a failed part back in service.

    Called before anything of the attempt is stored: a refusal rolls the session back,
    records the ``SafetyBlock`` and raises :class:`SafetyBlocked`. ``case`` may be
    omitted for a case not yet written (its asset is then the context).
    """
    asset = asset if asset is not None else (case.asset if case is not None else None)
    if written_by_customer(actor) or asset is None or not (text or "").strip():
        return
    findings = scan_reply(text, component_facts(session, asset), asset_facts(asset))
    if findings:
        record_refusals(
            session, actor, refusals_from_findings(findings), channel=channel, now=now, case=case, asset=asset
        )


def refusals_from_findings(findings: Iterable[Finding]) -> list[Refusal]:
    return [Refusal(f.decision, f.action.value, f.component.serial, f.excerpt, f.by_model) for f in findings]


def check_install(session: Session, asset: Asset, serial: str, slot: str) -> Refusal | None:
    """Installing (or reinserting) a serial that failed before is refused, whatever the path."""
    serial = serial.strip().upper()
    previous = session.scalar(  # "ssd-0000-0204" is SSD00000204: compared by key
        select(Component)
        .where(Component.serial_key == serial_key(serial), Component.state.in_(("failed", "quarantined", "removed")))
        .order_by(Component.id.desc())
        .limit(1)
    )
    quarantined = bool(_quarantined(session, [serial]))
    if previous is None and not quarantined:
        return None
    part = previous.part if previous else None
    facts = ComponentFacts(
        serial=serial,
        slot=slot,
        part_number=part.part_number if part else "",
        part_description=part.description if part else "",
        kind_word=part.kind if part else "part",
        state=previous.state if previous else "quarantined",
        data_bearing=part.data_bearing if part else False,
        serial_quarantined=quarantined,
    )
    decision = evaluate(ActionKind.INSTALL_COMPONENT, facts, asset_facts(asset))
    if decision.allowed:
        return None
    return Refusal(
        decision, ActionKind.INSTALL_COMPONENT.value, serial, f"install {serial} into {slot} of {asset.serial}"
    )
