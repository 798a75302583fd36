"""``casemgr attachments copy-to-s3``: an existing deployment's files, from its folder
(``CASEMGR_ATTACHMENT_DIR``) into the bucket of ``CASEMGR_ATTACHMENT_URL``.

Idempotent: files the bucket already holds are skipped (keys are checksums), so the
command can be run again after an interruption, or once more after the switch for
files that arrived in between. A file whose contents no longer match its name is
reported and not copied. The folder is left as it was.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from casemgr.cases.attachments import AttachmentStore, LocalAttachmentStore, StoreUnavailable, Upload, attachment_store
from casemgr.cases.rules import CaseRuleError

log = logging.getLogger(__name__)
_NAME = re.compile(r"[0-9a-f]{64}")


@dataclass
class CopyReport:
    copied: int = 0
    already_there: int = 0
    damaged: list[str] = field(default_factory=list)


def stored_files(source: LocalAttachmentStore) -> Iterator[tuple[str, Path]]:
    """(checksum, path) of every file the folder holds under ``aa/<sha256>``; nothing else."""
    if not source.root.is_dir():
        return
    for folder in sorted(source.root.iterdir()):
        if folder.is_dir() and len(folder.name) == 2:
            for path in sorted(folder.iterdir()):
                if path.is_file() and _NAME.fullmatch(path.name) and path.name[:2] == folder.name:
                    yield path.name, path


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def copy_files(source: LocalAttachmentStore, target: AttachmentStore) -> CopyReport:
    """Copy each file of ``source`` that ``target`` lacks; streamed, checked against its name."""
    report = CopyReport()
    unlimited = target.with_limit(1 << 62)  # the files were accepted once; the limit may have changed since
    for sha256, path in stored_files(source):
        if target.exists(sha256):
            report.already_there += 1
        elif _checksum(path) != sha256:
            report.damaged.append(sha256)
            log.warning("attachment %s: contents do not match the name; not copied", sha256)
        else:
            try:
                with path.open("rb") as stream:
                    unlimited.save(Upload(sha256, stream))
            except CaseRuleError:  # empty: cannot have been stored through the app
                report.damaged.append(sha256)
                continue
            report.copied += 1
    return report


@click.group("attachments")
def attachments_group() -> None:
    """The attachment store."""


@attachments_group.command("copy-to-s3")
@with_appcontext
def copy_to_s3() -> None:
    """Copy the files of CASEMGR_ATTACHMENT_DIR into the bucket of CASEMGR_ATTACHMENT_URL (idempotent)."""
    config = current_app.config
    if not config.get("ATTACHMENT_URL"):
        raise click.ClickException("Set CASEMGR_ATTACHMENT_URL=s3://bucket/prefix (and the endpoint and credentials).")
    source = LocalAttachmentStore(config["ATTACHMENT_DIR"], config["MAX_CONTENT_LENGTH"])
    target = attachment_store(config)
    try:
        report = copy_files(source, target)
    except StoreUnavailable as exc:
        raise click.ClickException(f"{exc} Nothing is lost: run the command again.") from None
    click.echo(
        f"{report.copied} copied, {report.already_there} already in {target.location},"
        f" {len(report.damaged)} damaged (not copied) from {source.root}"
    )
    for sha256 in report.damaged:
        click.echo(f"damaged: {source.path_for(sha256)}", err=True)
    if report.damaged:
        raise SystemExit(1)
