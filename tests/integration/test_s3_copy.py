"""`casemgr attachments copy-to-s3`: an existing deployment's folder copied into the bucket,
idempotently, damaged files reported and left behind; then the files download from the
bucket. Real SeaweedFS on 127.0.0.1 (tests/s3_server.py), on SQLite and PostgreSQL."""

# ruff: noqa: F811 - the fixtures of tests/s3_server.py are imported here, and tests name them as arguments
from __future__ import annotations

import hashlib
import io
import re

import pytest

from casemgr.cases import opening
from casemgr.cases.attachments import LocalAttachmentStore, Upload
from tests.conftest import WebClient
from tests.s3_server import bucket_of, keys_in, s3_app, s3_credentials, s3_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.commits

FILES = {"array.log": b"sd 0:0:2: timeout\n", "dump.bin": bytes(range(256)) * 4096}


@pytest.fixture
def app(s3_app):
    return s3_app


def key_of(data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"attachments/{sha[:2]}/{sha}"


@pytest.fixture
def folder_case(app, world, session, clock):
    """A case whose files were stored in the folder, as before the switch to the bucket."""
    folder = LocalAttachmentStore(app.config["ATTACHMENT_DIR"], app.config["MAX_CONTENT_LENGTH"])
    case = opening.open_case(
        session,
        world.user("acme_admin"),
        folder,
        asset_serial="ACME-001",
        severity=2,
        subject="Array degraded",
        description="Logs attached",
        now=clock.now(),
        uploads=[Upload(name, io.BytesIO(data)) for name, data in FILES.items()],
    )
    return case.number, folder


def copy(app):
    return app.test_cli_runner().invoke(args=["attachments", "copy-to-s3"], catch_exceptions=False)


def test_the_folder_is_copied_once_and_its_files_then_download_from_the_bucket(app, folder_case, s3_server):
    number, folder = folder_case
    first = copy(app)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("2 copied, 0 already in s3://")
    assert keys_in(s3_server, bucket_of(app)) == {key_of(data) for data in FILES.values()}
    again = copy(app)
    assert again.exit_code == 0 and again.output.startswith("0 copied, 2 already in"), again.output
    assert all(folder.exists(hashlib.sha256(d).hexdigest()) for d in FILES.values()), "the folder is left as it was"

    for path in folder.root.rglob("*"):  # from now on only the bucket serves them
        if path.is_file():
            path.unlink()
    web = WebClient(app.test_client()).login("admin@acme.example.com")
    page = web.get(f"/cases/{number}").get_data(as_text=True)
    links = re.findall(rf'href="(/cases/{number}/attachments/\d+)"', page)
    assert sorted(web.get(link).data for link in set(links)) == sorted(FILES.values())


def test_a_damaged_file_is_reported_and_not_copied(app, folder_case, s3_server):
    _number, folder = folder_case
    damaged = folder.path_for(hashlib.sha256(FILES["array.log"]).hexdigest())
    damaged.write_bytes(b"truncated")
    result = copy(app)
    assert result.exit_code == 1
    assert "1 copied, 0 already in" in result.output and "1 damaged" in result.output
    assert f"damaged: {damaged}" in result.output
    assert keys_in(s3_server, bucket_of(app)) == {key_of(FILES["dump.bin"])}


def test_without_a_bucket_configured_the_command_says_what_to_set(app):
    app.config["ATTACHMENT_URL"] = ""
    result = copy(app)
    assert result.exit_code != 0 and "Set CASEMGR_ATTACHMENT_URL=s3://bucket/prefix" in result.output
