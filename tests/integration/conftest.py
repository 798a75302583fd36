"""Fixtures shared by the integration tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casemgr.assets.services import mark_component
from casemgr.cases import opening
from casemgr.cases.attachments import LocalAttachmentStore
from tests.pg_databases import empty_url  # noqa: F401  (a fixture)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    return LocalAttachmentStore(tmp_path / "files", 1024 * 1024)


@pytest.fixture
def failed_case(session, world, store):
    """An Acme case on ACME-001 whose drive in bay 2 is marked failed."""
    bay2 = next(c for c in world.acme_asset.components if c.slot == "bay 2")
    mark_component(session, world.user("engineer"), bay2, "failed", T0)
    return opening.open_case(
        session,
        world.user("acme_admin"),
        store,
        asset_serial="ACME-001",
        severity=2,
        subject="Bay 2 failed",
        description="Drive in bay 2 shows amber",
        now=T0,
        component_id=bay2.id,
    )
