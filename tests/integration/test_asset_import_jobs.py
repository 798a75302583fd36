"""Asset CSV imports as background jobs: progress in the job row, all or nothing, audited."""

from __future__ import annotations

import threading
from datetime import timedelta

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


def _cut_off_job(session, world, clock, rows: int = 700) -> AssetImportJob:
    """A job whose thread started, wrote its first progress, and then died with its server."""
    job = import_jobs.start_import(
        session, world.user("admin"), filename="cut.csv", data=csv_rows(rows), now=clock.now()
    )
    job.status, job.processed_rows, job.heartbeat_at = "running", 500, clock.now()
    session.commit()
    return job


def test_a_job_cut_off_by_a_server_stop_is_marked_failed_once_its_thread_is_silent(app, session, world, clock):
    job = _cut_off_job(session, world, clock)
    clock.advance(import_jobs.SILENT_FOR - timedelta(minutes=1))
    assert import_jobs.mark_interrupted(session, clock.now()) == []  # still possibly writing
    clock.advance(timedelta(minutes=2))
    assert import_jobs.interrupted_imports_tick in registry_of(app).tick_jobs
    import_jobs.interrupted_imports_tick(app, clock.now())
    cut = finished(session, job.id)
    assert (cut.status, cut.finished_at) == ("failed", clock.now())
    assert "after 500 of 700 rows were checked: the server" in cut.message and cut.content  # kept for the retry
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "assets.import_interrupted"))
    assert (entry.object_id, entry.actor_id, entry.channel) == (job.id, None, "system")
    assert import_jobs.mark_interrupted(session, clock.now()) == []  # told once


def test_a_queued_job_that_never_started_is_marked_failed_too(session, world, clock):
    job = import_jobs.start_import(session, world.user("admin"), filename="q.csv", data=csv_rows(3), now=clock.now())
    clock.advance(import_jobs.SILENT_FOR + timedelta(seconds=1))
    assert import_jobs.mark_interrupted(session, clock.now()) == [job.id]


@pytest.mark.commits
def test_an_interrupted_import_runs_again_from_its_kept_file(app, session, world, clock):
    job = _cut_off_job(session, world, clock)
    clock.advance(import_jobs.SILENT_FOR + timedelta(minutes=1))
    import_jobs.mark_interrupted(session, clock.now())
    again = import_jobs.retry_import(session, world.user("admin"), job.id, now=clock.now())
    assert (again.status, again.total_rows, again.filename) == ("queued", 700, "cut.csv")
    import_jobs.run_import(registry_of(app).db, registry_of(app).clock, again.id)
    assert (finished(session, again.id).status, finished(session, again.id).imported) == ("done", 700)
    assert finished(session, job.id).content == ""  # its file went to the new job
    with pytest.raises(InvalidInput, match="Only a failed import"):
        import_jobs.retry_import(session, world.user("admin"), job.id, now=clock.now())
    with pytest.raises(ForbiddenError):
        import_jobs.retry_import(session, world.user("manager"), job.id, now=clock.now())
