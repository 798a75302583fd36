"""scripts/backup then scripts/restore into a fresh database and attachment folder: the
case, its timeline and the attachment's bytes are all back, and the app serves them."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casemgr import create_app
from casemgr.cases.models import Attachment, Case, CaseEvent
from casemgr.clock import FixedClock
from casemgr.db import make_engine, new_session
from casemgr.migrate import upgrade
from casemgr.registry import registry_of
from tests.conftest import T0
from tests.factories import PASSWORD, build_world
from tests.faults.servers import ROOT
from tests.pg_databases import empty_databases

pytestmark = pytest.mark.commits

LOG_BYTES = b"controller log\x00\x01\x02 binary tail " + bytes(range(256)) * 40


@pytest.fixture
def fresh_databases() -> Iterator[tuple[str, str]]:
    """Two empty databases on the shared server (created and dropped, nothing else touched)."""
    with empty_databases("casemgr_backup_src", "casemgr_backup_dst", purpose="run the backup and restore test") as (
        src,
        dst,
    ):
        yield src, dst


@pytest.fixture
def folder() -> Iterator[Path]:
    made = Path(tempfile.mkdtemp(prefix="casemgr-backup-test-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def _app(url: str, attachments: Path, instance: Path):
    return create_app(
        {
            "DATABASE_URL": url,
            "ATTACHMENT_DIR": str(attachments),
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "backup-test-" + "x" * 20,
            "CLOCK": FixedClock(T0),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "TESTING": True,
        }
    )


def _script(name: str, *args: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")} | env
    done = subprocess.run(
        [str(ROOT / "scripts" / name), *args], env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_backup_restored_into_a_fresh_home_has_the_case_its_timeline_and_the_attachment(fresh_databases, folder):
    src_url, dst_url = fresh_databases
    engine = make_engine(src_url)
    upgrade(engine)
    engine.dispose()
    source = _app(src_url, folder / "src-attachments", folder / "src-instance")
    with source.app_context(), new_session(source, write=True) as session:
        build_world(session, T0)
    customer = source.test_client()
    customer.post("/login", data={"email": "admin@acme.example.com", "password": PASSWORD})
    opened = customer.post(
        "/cases/new",
        data={
            "asset_serial": "ACME-001",
            "component_id": "",
            "severity": "2",
            "subject": "Controller reboots nightly",
            "description": "Every night at 02:00.",
            "attachments": (io.BytesIO(LOG_BYTES), "controller.log"),
        },
        content_type="multipart/form-data",
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)[:500]
    with source.app_context(), new_session(source) as session:
        case = session.scalars(select(Case).where(Case.subject == "Controller reboots nightly")).one()
        number = case.number
        events_before = sorted(session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)))
    registry_of(source).db.dispose()

    backup = folder / "backup"
    said = _script("backup", str(backup), DATABASE_URL=src_url, CASEMGR_ATTACHMENT_DIR=str(folder / "src-attachments"))
    assert "1 attachment file(s)" in said and (backup / "casemgr.dump").stat().st_size > 0
    restored_store = folder / "restored-attachments"
    _script("restore", str(backup), DATABASE_URL=dst_url, CASEMGR_ATTACHMENT_DIR=str(restored_store))

    restored = _app(dst_url, restored_store, folder / "dst-instance")
    try:
        with restored.app_context(), new_session(restored) as session:
            case = session.scalars(select(Case).where(Case.number == number)).one()
            assert sorted(session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id))) == events_before
            attachment = session.scalars(select(Attachment).where(Attachment.case_id == case.id)).one()
        reader = restored.test_client()
        reader.post("/login", data={"email": "admin@acme.example.com", "password": PASSWORD})
        page = reader.get(f"/cases/{number}")
        assert page.status_code == 200 and "Controller reboots nightly" in page.get_data(as_text=True)
        assert "controller.log" in page.get_data(as_text=True)
        download = reader.get(f"/cases/{number}/attachments/{attachment.id}")
        body = download.data
        download.close()  # send_file's open file
        assert download.status_code == 200 and body == LOG_BYTES
    finally:
        registry_of(restored).db.dispose()


def test_restore_refuses_a_database_that_already_holds_tables(fresh_databases, folder):
    src_url, _dst_url = fresh_databases
    engine = make_engine(src_url)
    upgrade(engine)
    engine.dispose()
    backup = folder / "backup"
    _script("backup", str(backup), DATABASE_URL=src_url, CASEMGR_ATTACHMENT_DIR=str(folder / "none"))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    done = subprocess.run(
        [str(ROOT / "scripts" / "restore"), str(backup)],
        env=environ | {"DATABASE_URL": src_url, "CASEMGR_ATTACHMENT_DIR": str(folder / "x")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "already holds" in done.stderr
