"""Asset CSV imports from the admin page: a job row, a background thread, a progress bar.

The upload creates an :class:`AssetImportJob` (``start_import``) and a thread runs it
(``launch`` -> ``run_import``): the importer checks each row, the job's
``processed_rows`` is written every ``PROGRESS_EVERY`` rows from a session of its own
(so any app server answering the page's poll sees it), then everything is written in
one transaction, or nothing when any row is refused (the importer's rule). A server
that dies mid-import imports nothing; the scheduler's tick (``interrupted_imports_tick``)
marks a job whose thread fell silent for ``SILENT_FOR`` as failed, saying so, and the
admin runs it again from the kept file with one click (``retry_import``).

The API's synchronous import (``import_now``) shares the rules and the audit.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casemgr import audit
from casemgr.assets.importer import REQUIRED, ImportResult, import_assets
from casemgr.assets.models import AssetImportJob
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.clock import Clock
from casemgr.db import Database
from casemgr.errors import ForbiddenError, InvalidInput, NotFoundError

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500
MAX_ROWS = 200_000
#: A job whose thread wrote nothing for this long is taken for dead. The final all-or-nothing
#: write of MAX_ROWS rows takes a few minutes; no heartbeat can be written during it.
SILENT_FOR = timedelta(minutes=30)


def require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise ForbiddenError("Only administrators import assets.")


def read_upload(data: bytes, filename: str) -> tuple[str, int]:
    """The file as text and its number of data rows; a file that cannot be a CSV of assets is refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{filename}: the file is not UTF-8 text; save the CSV as UTF-8.") from None
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        raise InvalidInput(f"{filename}: the file is empty.")
    missing = [c for c in REQUIRED if c not in [h.strip() for h in header]]
    if missing:
        raise InvalidInput(
            f"{filename}: line 1 lacks the column(s) {', '.join(missing)}; the header needs {', '.join(REQUIRED)}.",
            details=[{"line": 1, "message": f"missing column(s): {', '.join(missing)}"}],
        )
    total = sum(1 for _row in rows)
    if total == 0:
        raise InvalidInput(f"{filename}: the file has a header but no rows.")
    if total > MAX_ROWS:
        raise InvalidInput(f"{filename}: {total} rows; import at most {MAX_ROWS} at a time.")
    return text, total


def start_import(session: Session, actor: User, *, filename: str, data: bytes, now: datetime) -> AssetImportJob:
    require_admin(actor)
    filename = (filename or "upload.csv")[:255]
    text, total = read_upload(data, filename)
    job = AssetImportJob(
        created_by_id=actor.id, created_at=now, filename=filename, status="queued", total_rows=total, content=text
    )
    session.add(job)
    session.flush()
    audit.record(session, actor, "assets.import_started", "asset_import", job.id, f"{filename}: {total} rows", now)
    session.commit()
    return job


def job_for(session: Session, actor: User, job_id: int) -> AssetImportJob:
    require_admin(actor)
    job = session.get(AssetImportJob, job_id)
    if job is None:
        raise NotFoundError(f"No asset import {job_id}.")
    return job


def recent_jobs(session: Session, actor: User, limit: int = 10) -> list[AssetImportJob]:
    require_admin(actor)
    return list(session.scalars(select(AssetImportJob).order_by(AssetImportJob.id.desc()).limit(limit)))


def launch(db: Database, clock: Clock, job_id: int) -> threading.Thread:
    """Run the job on a thread of its own, named ``asset-import-<id>``."""
    thread = threading.Thread(target=run_import, args=(db, clock, job_id), name=f"asset-import-{job_id}", daemon=True)
    thread.start()
    return thread


def _set(db: Database, job_id: int, **values) -> None:
    with db.write_session_factory() as session:
        session.execute(update(AssetImportJob).where(AssetImportJob.id == job_id).values(**values))
        session.commit()


def run_import(db: Database, clock: Clock, job_id: int) -> None:
    """The job's work (any thread): check every row with progress, then write all or nothing."""
    with db.write_session_factory() as session:
        job = session.get(AssetImportJob, job_id)
        if job is None or job.status != "queued":
            return
        job.status, job.heartbeat_at = "running", clock.now()
        content, total, actor_id, filename = job.content, job.total_rows, job.created_by_id, job.filename
        session.commit()
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % PROGRESS_EVERY == 0:
            _set(db, job_id, processed_rows=done, heartbeat_at=clock.now())

    # Not a write session: on SQLite it must not hold the write lock while the progress is written.
    with db.session_factory() as session:
        try:

            def checked() -> None:
                session.commit()  # ends the read snapshot (nothing is written yet)
                _set(db, job_id, processed_rows=total, heartbeat_at=clock.now())

            result = import_assets(
                session,
                content.splitlines(keepends=True),
                now=clock.now(),
                progress=progress,
                channel="import",
                checked=checked,
                actor=session.get(User, actor_id) if actor_id is not None else None,
            )
        except Exception as exc:  # noqa: BLE001 - the job must say it failed, whatever happened
            session.rollback()
            log.exception("asset import %s (%s) failed", job_id, filename)
            _set(db, job_id, status="failed", message=f"The import failed: {exc}"[:2000], finished_at=clock.now())
            return
    _finish(db, clock, job_id, actor_id, filename, result)


def _finish(db: Database, clock: Clock, job_id: int, actor_id: int, filename: str, result: ImportResult) -> None:
    now = clock.now()
    with db.write_session_factory() as session:
        job = session.get(AssetImportJob, job_id)
        actor = session.get(User, actor_id)
        assert job is not None
        job.finished_at, job.content = now, ""
        job.processed_rows = job.total_rows
        job.errors = [{"line": e.line, "message": e.message} for e in result.errors]
        if result.errors:
            job.status = "refused"
            summary = f"{filename}: refused, {len(result.errors)} bad row(s); nothing imported"
        else:
            job.status, job.imported, job.components = "done", result.imported, result.components
            summary = f"{filename}: {result.imported} asset(s) with {result.components} component(s) imported"
        audit.record(session, actor, f"assets.import_{job.status}", "asset_import", job_id, summary, now)
        session.commit()


def mark_interrupted(session: Session, now: datetime) -> list[int]:
    """Jobs queued or running whose thread has been silent for ``SILENT_FOR`` failed: the
    server stopped under them, so nothing of them was written. Their file is kept for a
    retry. Returns their ids; costs what the unfinished jobs cost, not the job history."""
    cutoff = now - SILENT_FOR
    stale = session.scalars(
        select(AssetImportJob).where(
            AssetImportJob.status.in_(("queued", "running")),
            func.coalesce(AssetImportJob.heartbeat_at, AssetImportJob.created_at) < cutoff,
        )
    ).all()
    interrupted = []
    for job in stale:
        job.status, job.finished_at = "failed", now
        job.message = (
            f"The import stopped after {job.processed_rows} of {job.total_rows} rows were checked: "
            "the server running it went away."
        )
        summary = f"{job.filename}: interrupted after {job.processed_rows} of {job.total_rows} rows; nothing imported"
        audit.record(session, None, "assets.import_interrupted", "asset_import", job.id, summary, now, channel="system")
        interrupted.append(job.id)
    session.commit()
    return interrupted


def interrupted_imports_tick(app: Flask, now: datetime) -> None:
    """The scheduler's tick job (registered by the app factory)."""
    from casemgr.registry import registry_of

    with registry_of(app).db.write_session_factory() as session:
        mark_interrupted(session, now)


def retry_import(session: Session, actor: User, job_id: int, *, now: datetime) -> AssetImportJob:
    """A new job from the file of a failed one (kept until it is retried)."""
    job = job_for(session, actor, job_id)
    if job.status != "failed" or not job.content:
        raise InvalidInput("Only a failed import whose file is still kept can be run again; upload the file.")
    retry = AssetImportJob(
        created_by_id=actor.id,
        created_at=now,
        filename=job.filename,
        status="queued",
        total_rows=job.total_rows,
        content=job.content,
    )
    job.content = ""
    session.add(retry)
    session.flush()
    audit.record(
        session, actor, "assets.import_retried", "asset_import", retry.id, f"{job.filename}: again (was {job.id})", now
    )
    session.commit()
    return retry


def import_now(session: Session, actor: User, *, filename: str, data: bytes, now: datetime) -> ImportResult:
    """The API's import, in the request: same checks, same all-or-nothing rule, same audit."""
    require_admin(actor)
    text, total = read_upload(data, filename or "upload.csv")
    result = import_assets(session, text.splitlines(keepends=True), now=now, channel="import", actor=actor)
    if result.errors:
        summary = f"{filename}: refused, {len(result.errors)} bad row(s) of {total}; nothing imported"
    else:
        summary = f"{filename}: {result.imported} asset(s) with {result.components} component(s) imported"
    audit.record(
        session, actor, "assets.import_" + ("refused" if result.errors else "done"), "asset_import", None, summary, now
    )
    session.commit()
    return result
