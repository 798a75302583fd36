"""Quarantine holds in the CSV import (``casemgr assets import`` and ``import_assets``).

A row whose component serial is failed, quarantined or removed is an error of its
line with the safety guard's rule and reason (the install path's wording); a serial
installed in another asset or named twice in the file is one too; one bad row and
nothing at all is imported. Real databases (SQLite and PostgreSQL), no mocks.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from casemgr.assets.importer import import_assets
from casemgr.assets.models import Asset, Component, QuarantinedSerial
from casemgr.assets.services import install_component, mark_component
from casemgr.contracts.models import Contract
from casemgr.safety.models import SafetyBlock
from casemgr.safety.services import check_install

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HEADER = "serial,product_model,organization,site,contract,components\n"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return run


def component(session, serial):
    return session.scalar(select(Component).where(Component.serial == serial))


def counts(session):
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(Asset)),
        session.scalar(select(func.count()).select_from(Component)),
    )


@pytest.fixture
def bad_history(session, world):
    """ACME-001 bay 2 failed (and quarantined) still in its bay; GLOBEX-001 bay 2 failed, not on the list;
    a returned serial on the quarantine list only; ACME-001 PSU 1 replaced (removed)."""
    engineer = world.user("engineer")
    mark_component(session, engineer, component(session, "ACME-001-D2"), "failed", T0)
    component(session, "GLOBEX-001-D2").state = "failed"
    session.add(QuarantinedSerial(serial="RETURNED-9", reason="failure analysis", quarantined_at=T0))
    session.commit()
    install_component(session, engineer, world.acme_asset, slot="PSU 1", part_number="PSU-1", serial="PSU-NEW", now=T0)
    return world


def test_a_row_with_an_unsafe_serial_names_its_line_and_nothing_is_imported(cli, session, bad_history, tmp_path):
    csv_file = tmp_path / "assets.csv"
    csv_file.write_text(
        HEADER
        + "NEW-001,SA-1,Acme,Acme DC,C-ACME,bay 1=DRV-1:CLEAN-1; PSU 1=PSU-1:CLEAN-P1\n"  # line 2: clean
        + "NEW-002,SA-1,Acme,Acme DC,,bay 1=DRV-1:acme-001-d2\n"  # 3: failed in its bay
        + "NEW-003,SA-1,Globex,Globex Lab,,bay 1=DRV-1:CLEAN-3; bay 2=DRV-1:GLOBEX-001-D2\n"  # 4: failed
        + "NEW-004,SA-1,Acme,Acme DC,,bay 4=DRV-1:RETURNED-9\n"  # 5: quarantined
        + "NEW-005,SA-1,Acme,Acme DC,,PSU 1=PSU-1:ACME-001-P1\n"  # 6: removed
        + "NEW-006,SA-1,Acme,Acme DC,,bay 1=DRV-1:GLOBEX-001-D1\n"  # 7: active elsewhere
        + "NEW-007,SA-1,Acme,Acme DC,,bay 1=DRV-1:CLEAN-1\n"  # 8: twice in file
        + "NEW-008,SA-1,Acme,Acme DC,,bay 1=DRV-1:TWIN; bay 2=DRV-1:TWIN\n"  # 9: twice in row
        + "NEW-009,SA-9,Acme,Acme DC,,\n"  # 10: other error
    )
    before = counts(session)
    result = cli("assets", "import", str(csv_file))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in lines] == [f"line {n}" for n in range(3, 11)]
    by_line = {int(line.split(":")[0][5:]): line for line in lines}
    assert by_line[3].startswith(
        "line 3: component ACME-001-D2 in bay 1 is refused by the safety guard "
        "(SG-INSTALL-QUARANTINED): drive SN ACME-001-D2 is on the quarantine list"
    )
    assert "instead: install only the replacement shipped under the RMA" in by_line[3]
    assert (
        "component GLOBEX-001-D2 in bay 2 is refused by the safety guard (SG-INSTALL-FAILED): drive SN "
        "GLOBEX-001-D2 is marked failed and must not be installed in bay 2; instead: open an RMA" in by_line[4]
    )
    assert "CLEAN-3" not in by_line[4]
    assert "RETURNED-9 in bay 4 is refused by the safety guard (SG-INSTALL-QUARANTINED)" in by_line[5]
    assert "ACME-001-P1 in PSU 1 is refused by the safety guard (SG-INSTALL-FAILED)" in by_line[6]
    assert "is marked removed" in by_line[6]
    assert by_line[7] == "line 7: component GLOBEX-001-D1 is already installed in bay 1 of GLOBEX-001"
    assert by_line[8] == "line 8: component serial CLEAN-1 appears twice in this file (also line 2)"
    assert by_line[9] == "line 9: component serial TWIN appears twice in this file (twice in this row)"
    assert by_line[10] == "line 10: unknown product model 'SA-9'"
    assert "8 invalid row(s); nothing was imported." in result.output
    assert counts(session) == before
    assert session.scalar(select(Asset).where(Asset.serial == "NEW-001")) is None
    assert component(session, "CLEAN-1") is None
    # The failed drive is still in one asset only, failed.
    assert [
        (c.asset.serial, c.state) for c in session.scalars(select(Component).where(Component.serial == "ACME-001-D2"))
    ] == [("ACME-001", "failed")]


def test_the_refusals_of_an_import_are_recorded_as_safety_blocks(session, bad_history):
    world = bad_history
    before = counts(session)
    result = import_assets(
        session,
        [
            HEADER,
            "NEW-002,SA-1,Acme,Acme DC,,bay 1=DRV-1:ACME-001-D2\n",
            "NEW-003,SA-1,Globex,Globex Lab,,bay 2=DRV-1:GLOBEX-001-D2\n",
        ],
        now=T0,
    )
    assert result.imported == 0 and [e.line for e in result.errors] == [2, 3]
    assert counts(session) == before
    blocks = session.scalars(select(SafetyBlock).order_by(SafetyBlock.id)).all()
    assert [
        (b.channel, b.actor_id, b.asset_id, b.organization_id, b.component_serial, b.rule_code, b.attempted)
        for b in blocks
    ] == [
        (
            "cli",
            None,
            None,
            world.acme.id,
            "ACME-001-D2",
            "SG-INSTALL-QUARANTINED",
            "install ACME-001-D2 into bay 1 of NEW-002",
        ),
        (
            "cli",
            None,
            None,
            world.globex.id,
            "GLOBEX-001-D2",
            "SG-INSTALL-FAILED",
            "install GLOBEX-001-D2 into bay 2 of NEW-003",
        ),
    ]
    # The same wording as the install path's guard for that serial and slot.
    refusal = check_install(session, world.acme_asset, "ACME-001-D2", "bay 1")
    assert blocks[0].reason == refusal.decision.reason
    assert blocks[0].safe_alternative == refusal.decision.safe_alternative


def test_a_clean_import_still_works_next_to_a_quarantined_history(cli, session, bad_history, tmp_path):
    csv_file = tmp_path / "assets.csv"
    csv_file.write_text(
        HEADER
        + "new-001,SA-1,Acme,Acme DC,C-ACME,bay 1=DRV-1:clean-1; PSU 1=PSU-1:CLEAN-P1\n"
        + "NEW-002,SA-1,Globex,Globex Lab,,bay 2=DRV-1:CLEAN-2\n"
        + "NEW-003,SA-1,Acme,Acme DC,,\n"
    )
    before = counts(session)
    result = cli("assets", "import", str(csv_file))
    assert result.exit_code == 0, result.output
    assert "Imported 3 asset(s) with 3 component(s)." in result.output
    assert counts(session) == (before[0] + 3, before[1] + 3)
    asset = session.scalar(select(Asset).where(Asset.serial == "NEW-001"))
    assert sorted((c.slot, c.serial, c.state) for c in asset.components) == [
        ("PSU 1", "CLEAN-P1", "active"),
        ("bay 1", "CLEAN-1", "active"),
    ]
    assert asset.organization_id == bad_history.acme.id
    contract = session.scalar(select(Contract).where(Contract.number == "C-ACME"))
    assert "NEW-001" in [a.serial for a in contract.assets]
    assert session.scalar(select(func.count()).select_from(SafetyBlock)) == 0


def test_a_large_import_looks_serials_up_in_batches(session, world):
    """More component serials than one lookup chunk: the one quarantined serial deep in the file is found."""
    session.add(QuarantinedSerial(serial="BULK-1234-D2", reason="returned", quarantined_at=T0))
    session.commit()
    rows = [HEADER] + [
        f"BULK-{i:04d},SA-1,Acme,Acme DC,,bay 1=DRV-1:BULK-{i:04d}-D1; bay 2=DRV-1:BULK-{i:04d}-D2\n"
        for i in range(1300)
    ]
    result = import_assets(session, rows, now=T0)
    assert result.imported == 0
    assert [(e.line, "SG-INSTALL-QUARANTINED" in e.message) for e in result.errors] == [(1236, True)]
    rows[1235] = "BULK-1234,SA-1,Acme,Acme DC,,bay 1=DRV-1:BULK-1234-D1\n"
    result = import_assets(session, rows, now=T0)
    assert result.errors == [] and (result.imported, result.components) == (1300, 2599)
