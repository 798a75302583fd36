"""Read models for asset pages: assets with the contract that covers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casemgr.assets.models import Asset, Component
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.contracts.coverage import pick_active
from casemgr.contracts.models import Contract
from casemgr.contracts.services import contracts_by_asset


@dataclass(frozen=True)
class AssetCoverage:
    asset: Asset
    contract: Contract | None
    contracts: list[Contract]

    @property
    def covered(self) -> bool:
        return self.contract is not None

    @property
    def last_contract(self) -> Contract | None:
        return self.contracts[0] if self.contracts else None


def assets_with_coverage(
    session: Session, actor: User, today: date, *, serial_prefix: str = "", organization_id: int | None = None
) -> list[AssetCoverage]:
    stmt = (
        select(Asset)
        .where(policy.asset_filter(actor))
        .options(
            selectinload(Asset.product),
            selectinload(Asset.site),
            selectinload(Asset.organization),
            selectinload(Asset.components).selectinload(Component.part),
        )
        .order_by(Asset.serial)
    )
    if serial_prefix:
        stmt = stmt.where(Asset.serial.startswith(serial_prefix.strip().upper(), autoescape=True))
    if organization_id:
        stmt = stmt.where(Asset.organization_id == organization_id)
    assets = list(session.scalars(stmt))
    by_asset = contracts_by_asset(session, [a.id for a in assets])
    return [AssetCoverage(a, pick_active(by_asset.get(a.id, []), today), by_asset.get(a.id, [])) for a in assets]


def asset_coverage(session: Session, actor: User, serial: str, today: date) -> AssetCoverage:
    asset = policy.get_asset_for(session, actor, serial)
    contracts = contracts_by_asset(session, [asset.id]).get(asset.id, [])
    return AssetCoverage(asset, pick_active(contracts, today), contracts)
