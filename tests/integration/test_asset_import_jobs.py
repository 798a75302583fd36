"""Asset CSV imports as background jobs: progress in the job row, all or nothing, audited."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from casemgr.assets import import_jobs
from casemgr.assets.models import Asset, AssetImportJob
from casemgr.audit import AuditEntry
from casemgr.errors import ForbiddenError, InvalidInput
from casemgr.registry import registry_of

HEADER = "serial,product_model,organization,site,components\n"


def csv_rows(count: int, *, bad_lines: dict[int, str] | None = None, stem: str = "BULK") -> bytes:
    """``count`` valid Acme rows; ``bad_lines`` {file line: row} replaces some (line 2 is the first row)."""
    lines = [HEADER] + [f"{stem}-{i:06d},SA-1,Acme,Acme DC,\n" for i in range(count)]
    for line, row in (bad_lines or {}).items():
        lines[line - 1] = row + "\n"
    return "".join(lines).encode()


def finished(session, job_id: int) -> AssetImportJob:
    session.expire_all()
    return session.get(AssetImportJob, job_id)


def join_job(job_id: int) -> None:
    """Wait for the job's thread (the page's import runs on one) to end."""
    for thread in threading.enumerate():
        if thread.name == f"asset-import-{job_id}":
            thread.join(timeout=120)


@pytest.mark.commits
def test_a_good_file_is_imported_on_a_thread_with_its_progress_recorded(app, session, world, clock):
    job = import_jobs.start_import(
        session, world.user("admin"), filename="racks.csv", data=csv_rows(1200), now=clock.now()
    )
    assert job.status == "queued" and job.total_rows == 1200
    registry = registry_of(app)
    import_jobs.launch(registry.db, registry.clock, job.id).join(timeout=120)
    done = finished(session, job.id)
    assert (done.status, done.processed_rows, done.imported, done.errors) == ("done", 1200, 1200, [])
    assert done.content == "" and done.finished_at == clock.now()
    assert session.scalar(select(func.count(Asset.id)).where(Asset.serial.like("BULK-%"))) == 1200
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == job.id)).all()
    assert actions == ["assets.import_started", "assets.import_done"]


@pytest.mark.commits
def test_one_bad_row_and_nothing_is_imported_each_bad_line_named(app, session, world, clock):
    data = csv_rows(900, bad_lines={5: "BULK-X1,NOPE-9,Acme,Acme DC,", 700: "ACME-001,SA-1,Acme,Acme DC,"})
    job = import_jobs.start_import(session, world.user("admin"), filename="bad.csv", data=data, now=clock.now())
    import_jobs.run_import(registry_of(app).db, registry_of(app).clock, job.id)  # the thread's work, here
    done = finished(session, job.id)
    assert done.status == "refused" and done.imported == 0 and done.processed_rows == 900
    assert done.errors == [
        {"line": 5, "message": "unknown product model 'NOPE-9'"},
        {"line": 700, "message": "serial ACME-001 is already registered"},
    ]
    assert session.scalar(select(func.count(Asset.id)).where(Asset.serial.like("BULK-%"))) == 0


def test_files_that_cannot_be_imported_are_refused_before_any_job(session, world, clock):
    admin = world.user("admin")
    for data, words in (
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"serial,model\nX,Y\n", "lacks the column\\(s\\) product_model, organization, site"),
        (HEADER.encode(), "no rows"),
    ):
        with pytest.raises(InvalidInput, match=words):
            import_jobs.start_import(session, admin, filename="f.csv", data=data, now=clock.now())
    with pytest.raises(ForbiddenError):
        import_jobs.start_import(session, world.user("manager"), filename="f.csv", data=csv_rows(1), now=clock.now())
    assert session.scalar(select(func.count(AssetImportJob.id))) == 0
