"""Changes to installed hardware: every install goes through the safety guard.

A component enters an asset in three ways: an install (``install_component``, also
behind the RMA install), an asset registered with its components (the admin service)
and the CSV import. All three ask ``casemgr.safety.services.check_install``, so a failed,
quarantined or removed serial is refused everywhere with the same rule and wording;
the last two ask it through :class:`EntryGuard`, which looks a whole batch up at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.assets.models import UNSAFE_COMPONENT_STATES, Asset, Component, Part, QuarantinedSerial
from casemgr.assets.serials import checked_serial, serial_key
from casemgr.auth.models import User
from casemgr.auth.roles import CASE_WORKER_ROLES, CUSTOMER_ROLES, Role
from casemgr.cases.rules import CaseRuleError
from casemgr.errors import ForbiddenError
from casemgr.safety import services as safety

#: Component states an engineer may set by hand (removal happens by installing a replacement).
MARKABLE_STATES = ("active", "suspect", "failed")


def quarantine(session: Session, component: Component, reason: str, now: datetime) -> None:
    if session.get(QuarantinedSerial, component.serial) is None:
        session.add(
            QuarantinedSerial(
                serial=component.serial, reason=reason[:200], component_id=component.id, quarantined_at=now
            )
        )


class EntryGuard:
    """The install rules for many components entering assets at once (registration, CSV import).

    What the database knows of the batch's serials is read in a few queries up front:
    the serials the safety guard may refuse (a failed, quarantined or removed component
    record, or the quarantine list: what ``check_install`` looks up) and the serials
    installed in an asset now (any state but removed). Only the former go on to
    ``check_install``, so a refusal carries the install path's rule code and wording.
    Serials are compared by key (``casemgr.assets.serials``): "ssd-0000-0204" is SSD00000204.
    """

    CHUNK = 500

    def __init__(self, session: Session, serials: Iterable[str]) -> None:
        self.session = session
        self._guarded: set[str] = set()
        self._installed: dict[str, tuple[str, str]] = {}
        wanted = sorted({k for s in serials if (k := serial_key(s))})
        for i in range(0, len(wanted), self.CHUNK):
            chunk = wanted[i : i + self.CHUNK]
            self._guarded.update(
                session.scalars(
                    select(Component.serial_key).where(
                        Component.serial_key.in_(chunk), Component.state.in_(sorted(UNSAFE_COMPONENT_STATES))
                    )
                )
            )
            self._guarded.update(
                session.scalars(select(QuarantinedSerial.serial_key).where(QuarantinedSerial.serial_key.in_(chunk)))
            )
            rows = session.execute(
                select(Component.serial_key, Component.slot, Asset.serial)
                .join(Asset, Component.asset_id == Asset.id)
                .where(Component.serial_key.in_(chunk), Component.state != "removed")
                .order_by(Component.id)
            )
            for serial, slot, asset_serial in rows:
                self._installed.setdefault(serial, (slot, asset_serial))

    def refusal(self, asset: Asset, slot: str, serial: str) -> safety.Refusal | None:
        """The safety guard's refusal of ``serial`` going into ``slot`` of ``asset`` (which may be unsaved)."""
        guarded = serial_key(serial) in self._guarded
        return safety.check_install(self.session, asset, serial, slot) if guarded else None

    def installed_in(self, serial: str) -> tuple[str, str] | None:
        """(slot, asset serial) where ``serial`` is installed now (any state but removed), else None."""
        return self._installed.get(serial_key(serial))


def can_install(actor: User, asset: Asset, part: Part) -> bool:
    if actor.role in CASE_WORKER_ROLES or actor.role == Role.FIELD_ENGINEER:
        return True
    return actor.role in CUSTOMER_ROLES and actor.organization_id == asset.organization_id and part.customer_replaceable


def install_component(
    session: Session,
    actor: User,
    asset: Asset,
    *,
    slot: str,
    part_number: str,
    serial: str,
    now: datetime,
    channel: str = "install",
    note: str = "",
) -> Component:
    """Record a part going into a slot; the part it replaces is removed (and quarantined if it failed)."""
    slot = slot.strip()
    if not slot or not serial.strip():
        raise CaseRuleError("Slot and serial are required.")
    serial = checked_serial(serial)
    part = session.scalar(select(Part).where(Part.part_number == part_number.strip()))
    if part is None:
        raise CaseRuleError(f"Unknown part number {part_number!r}.")
    if part not in asset.product.compatible_parts:
        raise CaseRuleError(f"{part.part_number} is not a compatible part for {asset.product.model}.")
    if not can_install(actor, asset, part):
        raise ForbiddenError("Your role cannot record this installation.")
    refusal = safety.check_install(session, asset, serial, slot)
    if refusal is not None:
        safety.record_refusals(session, actor, [refusal], channel=channel, now=now, asset=asset)
    elsewhere = session.scalar(
        select(Component).where(Component.serial_key == serial_key(serial), Component.state != "removed")
    )
    if elsewhere is not None:
        raise CaseRuleError(f"Serial {serial} is already installed in {elsewhere.slot} of {elsewhere.asset.serial}.")
    old = next((c for c in asset.components if c.slot.lower() == slot.lower() and c.state != "removed"), None)
    if old is not None:
        if old.state in ("failed", "quarantined"):
            quarantine(session, old, f"replaced in {asset.serial} {old.slot}", now)
        old.state, old.removed_at = "removed", now
        session.flush()  # free the slot before the new part takes it (unique per installed slot)
    component = Component(
        asset=asset,
        part=part,
        slot=old.slot if old else slot,
        serial=serial,
        state="active",
        installed_at=now,
        note=note[:500],
    )
    session.add(component)
    try:
        session.commit()
    except IntegrityError:  # another install took the serial or the slot since the checks above
        session.rollback()
        raise CaseRuleError(
            f"Serial {serial} or {slot} of {asset.serial} was just taken by another installation;"
            " reload and check the asset."
        ) from None
    return component


def mark_component(session: Session, actor: User, component: Component, state: str, now: datetime) -> None:
    """Support marks a part suspect or failed; a failed part's serial is quarantined at once."""
    if actor.role not in CASE_WORKER_ROLES and actor.role != Role.FIELD_ENGINEER:
        raise ForbiddenError("Only vendor engineers change a component's state.")
    if state not in MARKABLE_STATES:
        raise CaseRuleError(f"State must be one of {', '.join(MARKABLE_STATES)}.")
    if component.state in ("removed", "quarantined") or (component.state == "failed" and state != "failed"):
        raise CaseRuleError(f"A {component.state} part cannot become {state}: failed parts never go back into service.")
    component.state = state
    if state == "failed":
        quarantine(session, component, f"marked failed in {component.asset.serial} {component.slot}", now)
    session.commit()
