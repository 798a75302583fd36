"""The S3-backed store under stress: readiness when the bucket or the server is gone (503
naming the check, never a 500), and a file far bigger than what may be buffered, streamed
both ways with the peak of Python's allocations measured. Real SeaweedFS on 127.0.0.1."""

# ruff: noqa: F811 - the fixtures of tests/s3_server.py are imported here, and tests name them as arguments
from __future__ import annotations

import hashlib
import io
import os
import resource
import tracemalloc

import pytest
from werkzeug.test import EnvironBuilder

from casemgr import create_app
from casemgr.registry import registry_of
from tests.s3_server import (  # noqa: F401 - fixtures
    bucket_of,
    keys_in,
    own_s3_server,
    s3_app,
    s3_app_config,
    s3_credentials,
    s3_server,
)
from tests.web.test_api import new_case
from tests.web.test_case_pages import case_number, open_case

pytestmark = pytest.mark.commits

BIG = 50 * 1024 * 1024
#: What one request may hold in memory for a file of any size (the pieces in flight).
ALLOWED_PEAK = 20 * 1024 * 1024


@pytest.fixture
def app(s3_app):
    return s3_app


def test_a_worker_whose_bucket_answers_is_ready(app):
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["attachments"] == "ok"


def test_a_missing_bucket_makes_the_worker_not_ready_naming_the_store(app, s3_server):
    s3_server.client().delete_bucket(Bucket=bucket_of(app))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["attachments"].startswith(f"unwritable: s3://{bucket_of(app)}/attachments is not writable")
    assert "bucket does not exist" in body["attachments"]


def test_a_stopped_server_makes_readiness_and_uploads_answer_503_not_500(
    db_url, clock, tmp_path, shared_apps, own_s3_server, s3_credentials
):
    bucket = own_s3_server.new_bucket()
    app = create_app(s3_app_config(db_url, clock, tmp_path / "instance", own_s3_server.url, bucket))
    try:
        from casemgr.db import new_session
        from tests.conftest import WebClient
        from tests.factories import build_world

        with new_session(app) as session:
            build_world(session, clock.now())
        client = app.test_client()
        assert client.get("/readyz").status_code == 200
        web = WebClient(app.test_client()).login("admin@acme.example.com")
        number = case_number(open_case(web))
        own_s3_server.stop()

        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["attachments"].endswith("the object store is unreachable")
        refused = web.post(
            f"/cases/{number}/reply",
            data={"body": "Here is the log I promised", "attachments": [(io.BytesIO(b"log"), "a.log")]},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 503
        page = refused.get_data(as_text=True)
        assert "Attachments cannot be stored right now" in page and "Here is the log I promised" in page
    finally:
        registry_of(app).db.dispose()
        shared_apps.dispose()


def post_streamed(api_client, url: str, data: dict):
    """A multipart POST whose body werkzeug spools to a temporary file: closed here, as the
    test client leaves that file open."""
    builder = EnvironBuilder(
        path=url, method="POST", data=data, content_type="multipart/form-data", headers=api_client.headers
    )
    environ = builder.get_environ()
    try:
        return api_client.client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_a_50_mb_file_streams_in_and_out_without_being_held_in_memory(app, api, tmp_path, s3_server):
    big = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with big.open("wb") as out:
        for _ in range(BIG // (1024 * 1024)):
            chunk = os.urandom(1024 * 1024)
            digest.update(chunk)
            out.write(chunk)
    client = api("acme_admin")
    number = new_case(client).get_json()["number"]
    warm_up = client.post(  # the process's first transfer loads boto3's service model (once, a few MB)
        f"/api/v1/cases/{number}/attachments",
        data={"file": [(io.BytesIO(b"warm-up"), "small.txt")]},
        content_type="multipart/form-data",
    )
    assert warm_up.status_code == 201
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    tracemalloc.start()
    with big.open("rb") as stream:
        sent = post_streamed(client, f"/api/v1/cases/{number}/attachments", {"file": [(stream, "big.bin")]})
    _current, upload_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sent.status_code == 201, sent.get_data(as_text=True)[:500]
    item = sent.get_json()["items"][0]
    assert item["size"] == BIG and item["sha256"] == digest.hexdigest()
    sha = digest.hexdigest()
    assert f"attachments/{sha[:2]}/{sha}" in keys_in(s3_server, bucket_of(app))

    tracemalloc.start()
    response = client.get(f"/api/v1/cases/{number}/attachments/{item['id']}", buffered=False)
    received, size = hashlib.sha256(), 0
    for chunk in response.response:
        received.update(chunk)
        size += len(chunk)
    response.close()
    _current, download_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    assert response.status_code == 200 and int(response.headers["Content-Length"]) == BIG
    assert size == BIG and received.hexdigest() == sha
    print(
        f"\n50 MB through S3: upload peak {upload_peak / 2**20:.1f} MiB, download peak"
        f" {download_peak / 2**20:.1f} MiB (tracemalloc); max RSS growth {rss_growth_kb / 1024:.1f} MiB"
    )
    assert upload_peak < ALLOWED_PEAK, f"upload peak {upload_peak / 2**20:.1f} MiB"
    assert download_peak < ALLOWED_PEAK, f"download peak {download_peak / 2**20:.1f} MiB"
