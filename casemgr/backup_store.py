"""The S3 part of scripts/backup and scripts/restore: ``python -m casemgr.backup_store
backup|restore FOLDER`` copies the objects of ``CASEMGR_ATTACHMENT_URL`` (s3://bucket/prefix)
to FOLDER and back.

Keys are ``<prefix>/aa/<sha256>`` (content-addressed), so each file lands as
``FOLDER/aa/<sha256>`` and its bytes are checked against its name both ways: a damaged
copy is refused, never uploaded. Restore also checks the file count against the
MANIFEST's ``attachments: N file(s)`` line when the folder's parent holds one. Endpoint
and credentials as the app reads them (``CASEMGR_S3_ENDPOINT_URL`` or
``AWS_ENDPOINT_URL``, boto3's own chain)."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

from casemgr.cases.s3_store import parse_s3_url, s3_client

_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$")
_MANIFEST_COUNT = re.compile(r"^attachments: (\d+) file\(s\)$", re.MULTILINE)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for piece in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(piece)
    return digest.hexdigest()


def _bucket_and_client() -> tuple[str, str, object]:
    bucket, prefix = parse_s3_url(os.environ.get("CASEMGR_ATTACHMENT_URL", ""))
    endpoint = os.environ.get("CASEMGR_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL") or None
    return bucket, prefix, s3_client(endpoint)


def backup(folder: Path) -> int:
    """Every stored object of the prefix into ``folder``; returns how many."""
    bucket, prefix, client = _bucket_and_client()
    start = f"{prefix}/" if prefix else ""
    count = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start):  # type: ignore[attr-defined]
        for item in page.get("Contents", []):
            name = item["Key"][len(start) :]
            if not _NAME.match(name):
                continue  # not a stored attachment (e.g. the readiness probe's object)
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, item["Key"], str(target))  # type: ignore[attr-defined]
            if _sha256(target) != target.name:
                raise SystemExit(f"damaged object in the bucket: {item['Key']}")
            count += 1
    folder.mkdir(parents=True, exist_ok=True)
    return count


def restore(folder: Path) -> int:
    """Every file of ``folder`` into the bucket, each checked first; returns how many."""
    bucket, prefix, client = _bucket_and_client()
    files = sorted(p for p in folder.glob("*/*") if p.is_file())
    manifest = folder.parent / "MANIFEST"
    if manifest.exists():
        said = _MANIFEST_COUNT.search(manifest.read_text())
        if said and int(said.group(1)) != len(files):
            raise SystemExit(f"{folder} holds {len(files)} file(s), the MANIFEST says {said.group(1)}: incomplete copy")
    for path in files:
        name = f"{path.parent.name}/{path.name}"
        if not _NAME.match(name) or _sha256(path) != path.name:
            raise SystemExit(f"damaged: {path}")
    for path in files:
        key = f"{prefix}/{path.parent.name}/{path.name}" if prefix else f"{path.parent.name}/{path.name}"
        client.upload_file(str(path), bucket, key)  # type: ignore[attr-defined]
    return len(files)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("backup", "restore"):
        print("usage: python -m casemgr.backup_store backup|restore FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1])
    count = backup(folder) if argv[0] == "backup" else restore(folder)
    print(
        f"{argv[0]}: {count} object(s) {'from' if argv[0] == 'backup' else 'to'} {os.environ['CASEMGR_ATTACHMENT_URL']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
