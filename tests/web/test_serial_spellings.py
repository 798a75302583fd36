"""A failed serial cannot come back typed another way, on any path (SQLite and PostgreSQL).

"acme 001 d2", "ACME001D2", "ACME/001/D2", full-width letters or a zero-width space are
the serial ACME-001-D2: registration, install, CSV import, the RMA install and the CLI all
compare serials by their key (``casemgr.assets.serials``), so each one refuses the failed
drive under every spelling, and a healthy part cannot be active in two assets under two
spellings either. A serial with a look-alike letter from another alphabet is refused as
invalid input where it is typed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from casemgr.assets.importer import import_assets
from casemgr.assets.models import Component
from casemgr.assets.serials import checked_serial, serial_key
from casemgr.assets.services import mark_component
from casemgr.errors import InvalidInput
from casemgr.safety.models import SafetyBlock
from tests.web.test_api import assert_error
from tests.web.test_api_rmas import open_rma

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SPELLINGS = (
    "acme 001 d2",
    "ACME001D2",
    "ACME/001/D2",
    "ACME.001.D2",
    "ACME_001_D2",
    "ＡＣＭＥ-００１-Ｄ２",  # full-width
    "ACME-001\u200b-D2",  # a zero-width space
    " acme-001-d2 ",
)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_has_the_key_of_the_serial(spelling):
    assert serial_key(spelling) == serial_key("ACME-001-D2") == "ACME001D2"
    assert serial_key(checked_serial(spelling)) == "ACME001D2"


@pytest.mark.parametrize("typed", ["АCME-001-D2", "ACME-001-D2€", "ACME-001-Dé", "---", "", "A" * 65])
def test_a_serial_with_a_look_alike_letter_a_symbol_or_no_letters_is_invalid(typed):
    with pytest.raises(InvalidInput):
        checked_serial(typed)  # "АCME" starts with a Cyrillic capital A


def test_the_typed_spelling_is_kept_for_people():
    assert checked_serial(" acme-001-d2\u200b ") == "ACME-001-D2"


@pytest.fixture
def failed_bay2(session, world):
    """ACME-001 bay 2 (ACME-001-D2) marked failed and quarantined, still in its bay."""
    bay2 = session.scalar(select(Component).where(Component.serial == "ACME-001-D2"))
    mark_component(session, world.user("engineer"), bay2, "failed", T0)
    session.commit()
    return world


def rows_of(session, key="ACME001D2"):
    session.expire_all()
    return [
        (c.asset.serial, c.slot, c.state)
        for c in session.scalars(select(Component).where(Component.serial_key == key).order_by(Component.id))
    ]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_api_install_refuses_the_failed_drive_under_any_spelling(api, session, failed_bay2, spelling):
    response = api("engineer").post(
        "/api/v1/assets/GLOBEX-001/components/bay 1/install", json={"part_number": "DRV-1", "serial": spelling}
    )
    error = assert_error(response, 422, "safety_guard")
    assert error["details"][0]["rule"] == "SG-INSTALL-QUARANTINED"
    assert rows_of(session) == [("ACME-001", "bay 2", "failed")]


@pytest.mark.parametrize("spelling", ["acme 001 d2", "ＡＣＭＥ００１Ｄ２", "ACME001\u200bD2"])
def test_registration_refuses_the_failed_drive_under_any_spelling(api, session, failed_bay2, spelling):
    response = api("admin").post(
        "/api/v1/assets",
        json={
            "serial": "NEW-001",
            "product_model": "SA-1",
            "organization_id": failed_bay2.acme.id,
            "site": "Acme DC",
            "components": [{"slot": "bay 1", "part_number": "DRV-1", "serial": spelling}],
        },
    )
    assert assert_error(response, 422, "safety_guard")["details"][0]["rule"] == "SG-INSTALL-QUARANTINED"
    assert rows_of(session) == [("ACME-001", "bay 2", "failed")]
    assert session.scalar(select(func.count()).select_from(SafetyBlock)) == 1


def test_the_csv_import_refuses_the_failed_drive_under_another_spelling(session, failed_bay2):
    text = (
        "serial,product_model,organization,site,contract,components\n"
        "NEW-001,SA-1,Acme,Acme DC,,bay 1=DRV-1:acme/001/d2\n"
        "NEW-002,SA-1,Acme,Acme DC,,bay 1=DRV-1:TWIN-1; bay 2=DRV-1:twin 1\n"
    )
    result = import_assets(session, text.splitlines(keepends=True), now=T0)
    by_line = {e.line: e.message for e in result.errors}
    assert "SG-INSTALL-QUARANTINED" in by_line[2]
    assert "appears twice in this file (twice in this row)" in by_line[3]
    assert result.imported == 0 and rows_of(session) == [("ACME-001", "bay 2", "failed")]


def test_the_rma_install_refuses_the_quarantined_serial_under_another_spelling(api, session):
    rma = open_rma(api).get_json()
    engineer, url = api("engineer"), f"/api/v1/rmas/{rma['number']}"
    version = rma["version"]
    for step in ({"to": "shipped", "carrier": "UPS", "tracking": "1"}, {"to": "delivered"}):
        version = engineer.post(f"{url}/transitions", json={**step, "version": version}).get_json()["version"]
    refused = engineer.post(f"{url}/transitions", json={"to": "installed", "serial": "acme-001 d2", "version": version})
    assert assert_error(refused, 422, "safety_guard")["details"][0]["rule"].startswith("SG-INSTALL")
    assert ("ACME-001", "bay 2", "failed") in rows_of(session) and len(rows_of(session)) == 1


def test_the_cli_install_refuses_the_failed_drive_under_another_spelling(app, session, failed_bay2):
    result = app.test_cli_runner().invoke(
        args=["rma", "install-part", "--asset", "GLOBEX-001", "--slot", "bay 3", "--part", "DRV-1"]
        + ["--serial", "ACME/001/D2", "--as", "eng@vendor.example.com"]
    )
    assert result.exit_code != 0 and "safety guard" in result.output
    assert rows_of(session) == [("ACME-001", "bay 2", "failed")]


def test_a_healthy_part_is_not_active_in_two_assets_under_two_spellings(api, session, world):
    response = api("engineer").post(
        "/api/v1/assets/GLOBEX-001/components/bay 3/install", json={"part_number": "DRV-1", "serial": "acme 001 d1"}
    )
    error = assert_error(response, 422, "rule_violation")
    assert "already installed in bay 1 of ACME-001" in error["message"]
    assert rows_of(session, "ACME001D1") == [("ACME-001", "bay 1", "active")]


def test_a_look_alike_serial_is_invalid_input_and_nothing_is_installed(api, session, world):
    before = session.scalar(select(func.count()).select_from(Component))
    response = api("engineer").post(
        "/api/v1/assets/GLOBEX-001/components/bay 3/install", json={"part_number": "DRV-1", "serial": "АCME-001-D2"}
    )
    assert "letters A-Z" in assert_error(response, 422, "validation_error")["message"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Component)) == before
