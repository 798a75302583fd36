"""A serial is installed in one asset at a time, even when two installs race: the
database's partial unique index holds it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from casemgr.assets.models import Component
from casemgr.assets.services import install_component
from casemgr.cases.rules import CaseRuleError
from casemgr.db import new_session

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _row(asset, part_id, slot, serial, state="active"):
    return {
        "asset_id": asset.id,
        "part_id": part_id,
        "slot": slot,
        "serial": serial,
        "state": state,
        "installed_at": T0,
        "note": "",
    }


def test_the_database_refuses_one_serial_active_in_two_assets(session, world):
    part_id = world.acme_asset.components[0].part_id
    with pytest.raises(IntegrityError):
        session.execute(insert(Component), [_row(world.globex_asset, part_id, "bay 9", "ACME-001-D1")])
        session.commit()
    session.rollback()
    session.execute(insert(Component), [_row(world.globex_asset, part_id, "bay 9", "ACME-001-D1", "removed")])
    session.commit()  # history of a removed part may repeat a serial
    assert session.scalar(select(func.count()).where(Component.serial == "ACME-001-D1")) == 2


@pytest.mark.commits  # a race between two sessions
def test_an_install_that_loses_a_race_is_refused_with_a_message(app, session, world):
    """Another installation takes the serial after this one checked it and before it commits."""
    part_id = world.acme_asset.components[0].part_id
    globex_id = world.globex_asset.id

    def other_install_wins(sess, flush_context, instances):
        other = new_session(app)
        try:
            other.execute(
                insert(Component), [{**_row(world.globex_asset, part_id, "bay 9", "RACE-1"), "asset_id": globex_id}]
            )
            other.commit()
        finally:
            other.close()

    event.listen(session, "before_flush", other_install_wins, once=True)
    with pytest.raises(CaseRuleError, match="just taken by another installation"):
        install_component(
            session,
            world.user("engineer"),
            world.acme_asset,
            slot="bay 1",
            part_number="DRV-1",
            serial="RACE-1",
            now=T0,
        )
    assert session.scalars(
        select(Component.asset_id).where(Component.serial == "RACE-1", Component.state != "removed")
    ).all() == [globex_id]
