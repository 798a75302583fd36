"""Attachments kept in an S3-compatible bucket (CASEMGR_ATTACHMENT_URL): a real SeaweedFS
server on 127.0.0.1 (tests/s3_server.py), pages and API, on SQLite and PostgreSQL. Each
test has an app of its own with a bucket of its own, so they commit."""

# ruff: noqa: F811 - the fixtures of tests/s3_server.py are imported here, and tests name them as arguments
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest

from tests.s3_server import bucket_of, keys_in, s3_app, s3_credentials, s3_server  # noqa: F401 - fixtures
from tests.web.test_api import new_case
from tests.web.test_case_pages import case_number, open_case

pytestmark = pytest.mark.commits

ACME = "admin@acme.example.com"
GLOBEX = "admin@globex.example.com"
ENGINEER = "eng@vendor.example.com"
LOG = b"sd 0:0:2: timeout\nsd 0:0:2: rejecting I/O to offline device\n"


@pytest.fixture
def app(s3_app):  # every fixture of these tests runs on the S3-backed app
    return s3_app


def key_of(data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"attachments/{sha[:2]}/{sha}"


def assert_download(response, data: bytes, filename: str) -> None:
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert int(response.headers["Content-Length"]) == len(data)


def test_a_file_sent_on_the_case_page_is_kept_in_the_bucket_and_downloads_from_it(app, world, web, s3_server):
    admin = web(ACME)
    number = case_number(open_case(admin))
    reply = admin.post(
        f"/cases/{number}/reply",
        data={"body": "Log attached", "attachments": [(io.BytesIO(LOG), "../../array log.txt")]},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
    assert key_of(LOG) in keys_in(s3_server, bucket_of(app))
    assert not any(Path(app.config["ATTACHMENT_DIR"]).rglob("*")), "nothing is kept on this host's disk"
    page = admin.get(f"/cases/{number}").get_data(as_text=True)
    link = re.search(rf'href="(/cases/{number}/attachments/\d+)"', page).group(1)
    assert_download(admin.get(link), LOG, "array_log.txt")
    assert_download(web(ENGINEER).get(link), LOG, "array_log.txt")


def test_the_same_bytes_twice_are_one_object(app, world, web, s3_server):
    admin = web(ACME)
    number = case_number(open_case(admin, attachments=[(io.BytesIO(LOG), "a.log")]))
    admin.post(
        f"/cases/{number}/reply",
        data={"body": "again", "attachments": [(io.BytesIO(LOG), "b.log")]},
        content_type="multipart/form-data",
    )
    assert keys_in(s3_server, bucket_of(app)) == {key_of(LOG)}


def test_the_api_uploads_lists_and_streams_back_files_from_the_bucket(app, api, s3_server):
    client = api("acme_admin")
    number = new_case(client).get_json()["number"]
    sent = client.post(
        f"/api/v1/cases/{number}/attachments",
        data={"file": [(io.BytesIO(LOG), "array.log"), (io.BytesIO(b"bundle"), "bundle.tgz")]},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_data(as_text=True)
    items = sent.get_json()["items"]
    assert [(i["filename"], i["size"], i["public"]) for i in items] == [
        ("array.log", len(LOG), True),
        ("bundle.tgz", 6, True),
    ]
    assert {key_of(LOG), key_of(b"bundle")} <= keys_in(s3_server, bucket_of(app))
    listed = client.get(f"/api/v1/cases/{number}/attachments").get_json()["items"]
    assert [i["id"] for i in listed] == [i["id"] for i in items]
    assert_download(client.get(f"/api/v1/cases/{number}/attachments/{items[0]['id']}"), LOG, "array.log")


def test_an_api_upload_with_no_file_is_a_422_and_stores_nothing(app, api, s3_server):
    client = api("acme_admin")
    number = new_case(client).get_json()["number"]
    response = client.post(f"/api/v1/cases/{number}/attachments", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_error"
    assert keys_in(s3_server, bucket_of(app)) == set()


def test_another_organisation_and_a_customer_on_an_internal_file_get_404(app, api, web):
    customer = api("acme_admin")
    number = new_case(customer).get_json()["number"]
    public = customer.post(
        f"/api/v1/cases/{number}/attachments",
        data={"file": [(io.BytesIO(LOG), "array.log")]},
        content_type="multipart/form-data",
    ).get_json()["items"][0]["id"]
    internal = (
        api("engineer")
        .post(
            f"/api/v1/cases/{number}/attachments?public=false",
            data={"file": [(io.BytesIO(b"vendor notes"), "notes.txt")]},
            content_type="multipart/form-data",
        )
        .get_json()["items"][0]
    )
    assert internal["public"] is False
    outsider = api("globex_admin")
    for url in (f"/api/v1/cases/{number}/attachments/{public}", f"/api/v1/cases/{number}/attachments"):
        refused = outsider.get(url)
        assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    assert web(GLOBEX).get(f"/cases/{number}/attachments/{public}").status_code == 404
    assert customer.get(f"/api/v1/cases/{number}/attachments/{internal['id']}").status_code == 404
    assert web(ACME).get(f"/cases/{number}/attachments/{internal['id']}").status_code == 404
    assert [i["id"] for i in customer.get(f"/api/v1/cases/{number}/attachments").get_json()["items"]] == [public]
    engineer_sees = api("engineer").get(f"/api/v1/cases/{number}/attachments").get_json()["items"]
    assert [i["id"] for i in engineer_sees] == [public, internal["id"]]


def test_a_file_missing_from_the_bucket_is_a_404_not_a_500(app, api, s3_server):
    client = api("acme_admin")
    number = new_case(client).get_json()["number"]
    item = client.post(
        f"/api/v1/cases/{number}/attachments",
        data={"file": [(io.BytesIO(LOG), "array.log")]},
        content_type="multipart/form-data",
    ).get_json()["items"][0]
    s3_server.client().delete_object(Bucket=bucket_of(app), Key=key_of(LOG))
    missing = client.get(f"/api/v1/cases/{number}/attachments/{item['id']}")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_the_original_of_a_mailed_case_is_kept_in_the_bucket(app, world, web, s3_server):
    app.config.update(MAIL_REPLY_TO="support@casemgr.example.com", MAIL_TRUSTED_AUTHSERV=("mx.casemgr.example.com",))
    raw = (Path(__file__).resolve().parent.parent / "data" / "mail" / "dmarc_trusted_new_case.eml").read_bytes()
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=raw, catch_exceptions=False)
    assert result.exit_code == 0 and result.output.startswith("case CS-"), result.output
    number = result.output.split()[1]
    page = web(ENGINEER).get(f"/cases/{number}").get_data(as_text=True)
    link = re.search(rf'href="(/cases/{number}/attachments/\d+)"[^>]*>\s*original-message\.eml', page)
    assert link, "the original message is attached to the case"
    download = web(ENGINEER).get(link.group(1))
    assert download.status_code == 200 and download.data.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert key_of(download.data) in keys_in(s3_server, bucket_of(app))
