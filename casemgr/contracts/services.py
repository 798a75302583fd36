"""Contract look-ups shared by cases, assets and (later) RMAs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from casemgr.contracts.coverage import pick_active
from casemgr.contracts.models import Contract, SupportPlan, contract_asset


def contracts_by_asset(session: Session, asset_ids: list[int]) -> dict[int, list[Contract]]:
    """Every contract of each asset, newest first, in one query."""
    if not asset_ids:
        return {}
    rows = session.execute(
        select(contract_asset.c.asset_id, Contract)
        .join(Contract, Contract.id == contract_asset.c.contract_id)
        .where(contract_asset.c.asset_id.in_(asset_ids))
        .options(selectinload(Contract.plan).selectinload(SupportPlan.calendar))
        .order_by(Contract.ends_on.desc())
    )
    result: dict[int, list[Contract]] = defaultdict(list)
    for asset_id, contract in rows:
        result[asset_id].append(contract)
    return result


def active_contract_for(session: Session, asset_id: int, on: date) -> Contract | None:
    """The contract covering one asset on ``on``, with its plan and calendar loaded.

    One query (the plan and calendar are many-to-one, joined) instead of the
    three of :func:`contracts_by_asset`: it sits on the case-opening path.
    """
    contracts = session.scalars(
        select(Contract)
        .join(contract_asset, Contract.id == contract_asset.c.contract_id)
        .where(contract_asset.c.asset_id == asset_id)
        .options(joinedload(Contract.plan, innerjoin=True).joinedload(SupportPlan.calendar, innerjoin=True))
        .order_by(Contract.ends_on.desc())
    )
    return pick_active(contracts, on)
