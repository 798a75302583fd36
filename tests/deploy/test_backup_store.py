"""The S3 part of scripts/backup and scripts/restore (``python -m casemgr.backup_store``):
objects out and back byte for byte, and a damaged or incomplete copy refused before any
upload."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from tests.faults.servers import ROOT
from tests.s3_server import CREDENTIALS, keys_in

pytestmark = pytest.mark.commits


def _run(action: str, folder, server, bucket: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEMGR_", "AWS_"))}
    env |= CREDENTIALS | {"AWS_ENDPOINT_URL": server.url, "CASEMGR_ATTACHMENT_URL": f"s3://{bucket}/attachments"}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "casemgr.backup_store", action, str(folder)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def _put(server, bucket: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    server.client().put_object(Bucket=bucket, Key=f"attachments/{digest[:2]}/{digest}", Body=body)
    return digest


def test_objects_go_to_the_folder_and_back_byte_for_byte(own_s3_server, tmp_path):
    source = own_s3_server.new_bucket()
    bodies = [b"first file", bytes(range(256)) * 100]
    digests = [_put(own_s3_server, source, body) for body in bodies]
    own_s3_server.client().put_object(Bucket=source, Key="attachments/.probe-x", Body=b"")  # not an attachment
    done = _run("backup", tmp_path / "attachments", own_s3_server, source)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "attachments").glob("*/*")) == sorted(digests)
    (tmp_path / "MANIFEST").write_text("casemgr backup\nattachments: 2 file(s)\n")
    target = own_s3_server.new_bucket()
    done = _run("restore", tmp_path / "attachments", own_s3_server, target)
    assert done.returncode == 0, done.stderr
    assert keys_in(own_s3_server, target) == {f"attachments/{d[:2]}/{d}" for d in digests}
    got = own_s3_server.client().get_object(Bucket=target, Key=f"attachments/{digests[1][:2]}/{digests[1]}")
    assert got["Body"].read() == bodies[1]


def test_a_damaged_or_incomplete_copy_is_refused_and_nothing_is_uploaded(own_s3_server, tmp_path):
    folder = tmp_path / "attachments"
    good = b"good bytes"
    digest = hashlib.sha256(good).hexdigest()
    (folder / digest[:2]).mkdir(parents=True)
    (folder / digest[:2] / digest).write_bytes(good)
    (tmp_path / "MANIFEST").write_text("casemgr backup\nattachments: 2 file(s)\n")
    target = own_s3_server.new_bucket()
    incomplete = _run("restore", folder, own_s3_server, target)
    assert incomplete.returncode != 0 and "MANIFEST says 2" in incomplete.stderr
    (tmp_path / "MANIFEST").write_text("casemgr backup\nattachments: 1 file(s)\n")
    (folder / digest[:2] / digest).write_bytes(b"good bytez")  # flipped on the backup disk
    damaged = _run("restore", folder, own_s3_server, target)
    assert damaged.returncode != 0 and "damaged" in damaged.stderr
    assert keys_in(own_s3_server, target) == set()


def test_scripts_restore_refuses_a_folder_with_fewer_files_than_its_manifest_before_the_database(tmp_path):
    backup = tmp_path / "backup"
    (backup / "attachments").mkdir(parents=True)
    (backup / "casemgr.dump").write_bytes(b"dump")
    digest = hashlib.sha256(b"dump").hexdigest()
    (backup / "MANIFEST").write_text(f"casemgr backup\ndump: casemgr.dump sha256 {digest}\nattachments: 3 file(s)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env |= {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "CASEMGR_ATTACHMENT_DIR": str(tmp_path / "store")}
    done = subprocess.run(
        [str(ROOT / "scripts" / "restore"), str(backup)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "MANIFEST says 3: incomplete copy" in done.stderr
    assert not (tmp_path / "store").exists()
