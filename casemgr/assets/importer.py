"""CSV import of assets: validate every row first, then write all or nothing.

Columns: ``serial, product_model, organization, site`` and optionally
``contract`` (a contract number of that organisation) and ``components``
(``slot=PART_NUMBER:SERIAL`` pairs separated by ``;``, e.g.
``bay 1=DRV-4T:ZK001; PSU 1=PSU-1100:PS001``).

Each component enters its asset as an install would: a serial that is failed,
quarantined or removed anywhere is refused by the safety guard (the rule and
reason of ``check_install``, recorded as a ``SafetyBlock`` on the ``cli``
channel), and a serial installed in an asset now, or named twice in the file, is
an error of its line. One bad row and nothing is imported.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset, Component, Part, Product
from casemgr.assets.serials import checked_serial, serial_key
from casemgr.assets.services import EntryGuard
from casemgr.auth.models import User
from casemgr.contracts.models import Contract
from casemgr.errors import InvalidInput
from casemgr.organizations.models import Organization, Site
from casemgr.safety import services as safety

REQUIRED = ("serial", "product_model", "organization", "site")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportResult:
    imported: int = 0
    components: int = 0
    errors: list[RowError] = field(default_factory=list)


def parse_components(text: str) -> list[tuple[str, str, str]]:
    """``"bay 1=PN:SN; bay 2=PN:SN"`` -> [(slot, part_number, serial), ...]."""
    result = []
    for chunk in filter(None, (c.strip() for c in (text or "").split(";"))):
        slot, sep, rest = chunk.partition("=")
        part_number, sep2, serial = rest.partition(":")
        if not sep or not sep2 or not slot.strip() or not part_number.strip() or not serial.strip():
            raise ValueError(f"component {chunk!r} is not in the form slot=PART_NUMBER:SERIAL")
        try:
            canonical = checked_serial(serial)
        except InvalidInput as refused:
            raise ValueError(f"component {chunk!r}: {refused}") from None
        result.append((slot.strip(), part_number.strip(), canonical))
    slots = [s.lower() for s, _, _ in result]
    if len(set(slots)) != len(slots):
        raise ValueError("the same slot appears twice")
    return result


def import_assets(
    session: Session,
    lines: Iterable[str],
    *,
    now: datetime,
    progress: Callable[[int], object] = lambda _n: None,
    channel: str = "cli",
    checked: Callable[[], object] = lambda: None,
    actor: User | None = None,
) -> ImportResult:
    """``progress(1)`` after each row is read; ``checked()`` once every row is, before the
    install checks and anything is written (a background job ends its read snapshot there:
    on SQLite a write may only follow a snapshot that no other writer has passed).
    ``actor`` and ``channel`` name who imported and how, on the Safety blocks of refused rows."""
    result = ImportResult()
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append(RowError(1, f"missing column(s): {', '.join(missing)}"))
        return result
    products = {p.model: p for p in session.scalars(select(Product))}
    parts = {p.part_number: p for p in session.scalars(select(Part))}
    orgs = {o.name: o for o in session.scalars(select(Organization))}
    sites = {(s.organization_id, s.name): s for s in session.scalars(select(Site))}
    contracts = {c.number: c for c in session.scalars(select(Contract))}
    known_serials = set(session.scalars(select(Asset.serial)))
    seen: set[str] = set()
    seen_components: dict[str, int] = {}
    planned: list[tuple[int, Asset, Contract | None]] = []
    for row in reader:
        line = reader.line_num
        progress(1)
        try:
            asset, contract = _plan_row(
                row, products, parts, orgs, sites, contracts, known_serials, seen, seen_components, line, now
            )
            planned.append((line, asset, contract))
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
    checked()
    for asset, refusals in _check_components(session, planned, result.errors):
        # the audit trail of a refused row (its organisation, who imported); nothing of the import is written
        with contextlib.suppress(safety.SafetyBlocked):
            safety.record_refusals(session, actor, refusals, channel=channel, now=now, asset=asset)
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
        return result
    for _line, asset, contract in planned:
        session.add(asset)
        if contract is not None:
            contract.assets.append(asset)
        result.imported += 1
        result.components += len(asset.components)
    session.commit()
    return result


def _check_components(session: Session, planned, errors: list[RowError]) -> list[tuple[Asset, list[safety.Refusal]]]:
    """The install rules for every component of the planned rows: one error per bad row, naming each component.

    Returns the safety guard's refusals by (unsaved) asset, for the audit trail.
    """
    guard = EntryGuard(session, [c.serial for _line, asset, _contract in planned for c in asset.components])
    refused = []
    for line, asset, _contract in planned:
        problems, refusals = [], []
        for component in asset.components:
            refusal = guard.refusal(asset, component.slot, component.serial)
            if refusal is not None:
                refusals.append(refusal)
                d = refusal.decision
                problems.append(
                    f"component {component.serial} in {component.slot} is refused by the safety guard "
                    f"({d.rule_code}): {d.reason}; instead: {d.safe_alternative}"
                )
            elif (where := guard.installed_in(component.serial)) is not None:
                problems.append(f"component {component.serial} is already installed in {where[0]} of {where[1]}")
        if problems:
            errors.append(RowError(line, " | ".join(problems)))
        if refusals:
            refused.append((asset, refusals))
    return refused


def _plan_row(
    row, products, parts, orgs, sites, contracts, known_serials, seen, seen_components, line, now
) -> tuple[Asset, Contract | None]:
    values = {k: (v or "").strip() for k, v in row.items() if k is not None}
    for column in REQUIRED:
        if not values.get(column):
            raise ValueError(f"{column} is empty")
    serial = values["serial"].upper()
    if len(serial) > 64:
        raise ValueError("serial is longer than 64 characters")
    if serial in known_serials:
        raise ValueError(f"serial {serial} is already registered")
    if serial in seen:
        raise ValueError(f"serial {serial} appears twice in this file")
    seen.add(serial)
    product = products.get(values["product_model"])
    if product is None:
        raise ValueError(f"unknown product model {values['product_model']!r}")
    org = orgs.get(values["organization"])
    if org is None or org.is_vendor:
        raise ValueError(f"unknown organisation {values['organization']!r}")
    site = sites.get((org.id, values["site"]))
    if site is None:
        raise ValueError(f"organisation {org.name} has no site {values['site']!r}")
    contract = None
    if values.get("contract"):
        contract = contracts.get(values["contract"])
        if contract is None or contract.organization_id != org.id:
            raise ValueError(f"contract {values['contract']!r} does not belong to {org.name}")
    # The ids as well as the objects: a refusal's SafetyBlock names the organisation of the unsaved asset.
    asset = Asset(
        serial=serial,
        product=product,
        organization=org,
        organization_id=org.id,
        site=site,
        site_id=site.id,
        created_at=now,
    )
    for slot, part_number, comp_serial in parse_components(values.get("components", "")):
        part = parts.get(part_number)
        if part is None:
            raise ValueError(f"unknown part number {part_number!r} in slot {slot}")
        if (key := serial_key(comp_serial)) in seen_components:  # "TWIN" and "t-win" are one serial
            first = seen_components[key]
            raise ValueError(
                f"component serial {comp_serial} appears twice in this file"
                + (f" (also line {first})" if first != line else " (twice in this row)")
            )
        seen_components[key] = line
        asset.components.append(Component(slot=slot, part=part, serial=comp_serial, state="active", installed_at=now))
    return asset, contract
