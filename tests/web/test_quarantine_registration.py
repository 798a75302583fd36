"""Quarantine holds when an asset is registered with its components (``POST /api/v1/assets``).

A serial that is failed, quarantined or removed can never become active in any asset:
registration asks the same guard as an install (``check_install``), answers 422
``safety_guard`` with the install path's rule and wording, records a ``SafetyBlock``
and creates nothing. Real databases (SQLite and PostgreSQL), no mocks.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from casemgr.assets.models import Asset, Component, QuarantinedSerial
from casemgr.assets.services import install_component, mark_component
from casemgr.safety.models import SafetyBlock
from tests.web.test_api import assert_error

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def register(client, serial="NEW-001", org=None, components=(("bay 1", "DRV-1", "NEW-D1"),)):
    return client.post(
        "/api/v1/assets",
        json={
            "serial": serial,
            "product_model": "SA-1",
            "organization_id": org,
            "site": "Acme DC",
            "components": [{"slot": s, "part_number": p, "serial": n} for s, p, n in components],
        },
    )


def counts(session):
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(Asset)),
        session.scalar(select(func.count()).select_from(Component)),
    )


def blocks(session):
    session.expire_all()
    return list(session.scalars(select(SafetyBlock).order_by(SafetyBlock.id)))


def component(session, serial):
    return session.scalar(select(Component).where(Component.serial == serial))


def assert_refused_and_nothing_created(session, response, before, serial, rule):
    error = assert_error(response, 422, "safety_guard")
    assert [d["rule"] for d in error["details"]] == [rule]
    detail = error["details"][0]
    assert detail["component_serial"] == serial and detail["action"] == "install_component"
    assert serial in detail["reason"] and "bay 1" in detail["reason"] and detail["safe_alternative"]
    # The message is the one every safety refusal of the API carries.
    assert error["message"] == f"{detail['reason']}. Instead: {detail['safe_alternative']}."
    assert counts(session) == before
    assert session.scalar(select(Asset).where(Asset.serial == "NEW-001")) is None
    return error


def test_a_serial_failed_in_another_assets_bay_is_refused_and_stays_in_one_asset(api, session, world):
    """The reported bug: the drive was still failed in ACME-001 bay 2 and became active in a second asset."""
    bay2 = component(session, "ACME-001-D2")
    mark_component(session, world.user("engineer"), bay2, "failed", T0)  # failed and quarantined, still in its bay
    before = counts(session)
    response = register(api("admin"), org=world.acme.id, components=[("bay 1", "DRV-1", "acme-001-d2")])
    assert_refused_and_nothing_created(session, response, before, "ACME-001-D2", "SG-INSTALL-QUARANTINED")
    rows = session.scalars(select(Component).where(Component.serial == "ACME-001-D2")).all()
    assert [(c.asset.serial, c.slot, c.state) for c in rows] == [("ACME-001", "bay 2", "failed")]
    [block] = blocks(session)
    assert (block.channel, block.actor_id, block.organization_id, block.asset_id, block.case_id) == (
        "api",
        world.user("admin").id,
        world.acme.id,
        None,
        None,
    )
    assert (block.rule_code, block.component_serial) == ("SG-INSTALL-QUARANTINED", "ACME-001-D2")
    assert block.attempted == "install ACME-001-D2 into bay 1 of NEW-001"


def test_a_failed_serial_is_refused_with_the_install_paths_rule_and_wording(api, session, world):
    """A component record in state failed (not on the quarantine list): SG-INSTALL-FAILED, as an install says."""
    bay2 = component(session, "GLOBEX-001-D2")
    bay2.state = "failed"
    session.commit()
    assert session.get(QuarantinedSerial, "GLOBEX-001-D2") is None
    before = counts(session)
    root = api("admin")
    error = assert_refused_and_nothing_created(
        session,
        register(root, org=world.acme.id, components=[("bay 1", "DRV-1", "GLOBEX-001-D2")]),
        before,
        "GLOBEX-001-D2",
        "SG-INSTALL-FAILED",
    )
    assert "is marked failed" in error["details"][0]["reason"]
    # The same serial through the install endpoint: the same rule, reason and alternative.
    install = assert_error(
        root.post(
            "/api/v1/assets/ACME-001/components/bay 1/install", json={"part_number": "DRV-1", "serial": "GLOBEX-001-D2"}
        ),
        422,
        "safety_guard",
    )
    keys = ("rule", "reason", "safe_alternative", "action", "component_serial")
    assert {k: install["details"][0][k] for k in keys} == {k: error["details"][0][k] for k in keys}
    assert [b.rule_code for b in blocks(session)] == ["SG-INSTALL-FAILED", "SG-INSTALL-FAILED"]


def test_a_quarantined_serial_is_refused(api, session, world):
    """On the quarantine list with no component record here (e.g. a part returned under an RMA)."""
    session.add(QuarantinedSerial(serial="RETURNED-9", reason="failure analysis", quarantined_at=T0))
    session.commit()
    before = counts(session)
    response = register(
        api("admin"), org=world.acme.id, components=[("bay 2", "DRV-1", "CLEAN-2"), ("bay 1", "DRV-1", " returned-9 ")]
    )
    error = assert_refused_and_nothing_created(session, response, before, "RETURNED-9", "SG-INSTALL-QUARANTINED")
    assert "quarantine list" in error["details"][0]["reason"]
    assert component(session, "CLEAN-2") is None  # the clean component of the request is not created either
    assert [b.component_serial for b in blocks(session)] == ["RETURNED-9"]


def test_a_replaced_failed_part_and_a_removed_part_are_refused(api, session, world):
    """Removed at the end of an RMA (removed and quarantined), or removed as a replaced healthy part: the
    guard makes no difference between them today, so neither enters a new asset."""
    engineer = world.user("engineer")
    mark_component(session, engineer, component(session, "ACME-001-D3"), "failed", T0)
    install_component(session, engineer, world.acme_asset, slot="bay 3", part_number="DRV-1", serial="REPL-3", now=T0)
    install_component(session, engineer, world.acme_asset, slot="PSU 1", part_number="PSU-1", serial="PSU-NEW", now=T0)
    assert component(session, "ACME-001-P1").state == "removed"
    before = counts(session)
    root = api("admin")
    assert_refused_and_nothing_created(
        session,
        register(root, org=world.acme.id, components=[("bay 1", "DRV-1", "ACME-001-D3")]),
        before,
        "ACME-001-D3",
        "SG-INSTALL-QUARANTINED",
    )
    error = assert_refused_and_nothing_created(
        session,
        register(root, org=world.acme.id, components=[("bay 1", "PSU-1", "ACME-001-P1")]),
        before,
        "ACME-001-P1",
        "SG-INSTALL-FAILED",
    )
    assert "is marked removed" in error["details"][0]["reason"]


def test_every_refused_component_of_a_request_is_reported_and_recorded(api, session, world):
    mark_component(session, world.user("engineer"), component(session, "ACME-001-D1"), "failed", T0)
    session.add(QuarantinedSerial(serial="RETURNED-9", reason="failure analysis", quarantined_at=T0))
    session.commit()
    before = counts(session)
    response = register(
        api("admin"),
        org=world.acme.id,
        components=[("bay 1", "DRV-1", "ACME-001-D1"), ("bay 2", "DRV-1", "OK-2"), ("bay 3", "DRV-1", "RETURNED-9")],
    )
    error = assert_error(response, 422, "safety_guard")
    assert [(d["component_serial"], d["rule"]) for d in error["details"]] == [
        ("ACME-001-D1", "SG-INSTALL-QUARANTINED"),
        ("RETURNED-9", "SG-INSTALL-QUARANTINED"),
    ]
    assert counts(session) == before
    assert [b.component_serial for b in blocks(session)] == ["ACME-001-D1", "RETURNED-9"]


def test_a_serial_active_in_another_asset_or_named_twice_is_a_rule_violation(api, session, world):
    before = counts(session)
    root = api("admin")
    error = assert_error(
        register(root, org=world.acme.id, components=[("bay 1", "DRV-1", "GLOBEX-001-D1")]), 422, "rule_violation"
    )
    assert error["message"] == "Serial GLOBEX-001-D1 is already installed in bay 1 of GLOBEX-001."
    suspect = component(session, "GLOBEX-001-D3")
    mark_component(session, world.user("engineer"), suspect, "suspect", T0)
    error = assert_error(
        register(root, org=world.acme.id, components=[("bay 1", "DRV-1", "GLOBEX-001-D3")]), 422, "rule_violation"
    )
    assert "already installed in bay 3 of GLOBEX-001" in error["message"]
    error = assert_error(
        register(root, org=world.acme.id, components=[("bay 1", "DRV-1", "TWIN-1"), ("bay 2", "DRV-1", "twin-1")]),
        422,
        "rule_violation",
    )
    assert error["message"] == "Serial TWIN-1 appears twice (bay 1 and bay 2)."
    assert counts(session) == before and blocks(session) == []


def test_refusals_come_after_authorisation_and_input_checks(api, session, world):
    mark_component(session, world.user("engineer"), component(session, "ACME-001-D2"), "failed", T0)
    before = counts(session)
    bad = [("bay 1", "DRV-1", "ACME-001-D2")]
    assert_error(register(api("manager"), org=world.acme.id, components=bad), 403, "forbidden")
    assert_error(
        register(api("admin"), org=world.acme.id, components=bad + [("bay 2", "NOPE", "X")]), 422, "rule_violation"
    )
    assert counts(session) == before and blocks(session) == []


def test_a_clean_registration_still_works(api, session, world):
    mark_component(session, world.user("engineer"), component(session, "ACME-001-D2"), "failed", T0)
    before = counts(session)
    response = register(
        api("admin"),
        serial="new-001",
        org=world.acme.id,
        components=[("bay 1", "DRV-1", "new-d1"), ("PSU 1", "PSU-1", "NEW-P1")],
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["serial"] == "NEW-001"
    assert sorted((c["slot"], c["serial"], c["state"]) for c in body["components"]) == [
        ("PSU 1", "NEW-P1", "active"),
        ("bay 1", "NEW-D1", "active"),
    ]
    assert counts(session) == (before[0] + 1, before[1] + 2)
    assert blocks(session) == []
    # Registering the same asset serial again is still a conflict, not a safety refusal.
    assert_error(register(api("admin"), serial="NEW-001", org=world.acme.id, components=[]), 409, "conflict")


def test_an_install_of_a_serial_failed_in_another_assets_bay_is_refused(api, session, world):
    """The install endpoint: a serial still failed in another asset (not yet quarantined) is refused."""
    bay4 = component(session, "GLOBEX-001-D4")
    bay4.state = "failed"
    session.commit()
    error = assert_error(
        api("engineer").post(
            "/api/v1/assets/ACME-001/components/bay 1/install", json={"part_number": "DRV-1", "serial": "globex-001-d4"}
        ),
        422,
        "safety_guard",
    )
    assert error["details"][0]["rule"] == "SG-INSTALL-FAILED"
    session.expire_all()
    assert component(session, "ACME-001-D1").state == "active"
    assert [
        (c.asset.serial, c.state) for c in session.scalars(select(Component).where(Component.serial == "GLOBEX-001-D4"))
    ] == [("GLOBEX-001", "failed")]
    assert [(b.channel, b.rule_code) for b in blocks(session)] == [("api", "SG-INSTALL-FAILED")]
