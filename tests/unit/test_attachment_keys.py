"""Store names are built from a checked checksum only, and the bucket URL is parsed strictly."""

from __future__ import annotations

import pytest

from casemgr.cases.attachments import checked_key
from casemgr.cases.s3_store import S3AttachmentStore, parse_s3_url

SHA = "ab" + "0" * 62


def test_a_key_is_the_checksum_under_its_first_two_characters():
    assert checked_key(SHA) == f"ab/{SHA}"
    assert S3AttachmentStore("bucket", "/casemgr/files/", 1).key_for(SHA) == f"casemgr/files/ab/{SHA}"
    assert S3AttachmentStore("bucket", "", 1).key_for(SHA) == f"ab/{SHA}"


@pytest.mark.parametrize("text", ["../" + "0" * 61, SHA.upper(), SHA[:-1], SHA + "0", "", "ab/" + "0" * 61])
def test_anything_but_a_lowercase_sha256_is_refused_as_a_name(text):
    with pytest.raises(ValueError):
        checked_key(text)


@pytest.mark.parametrize(
    "url,parsed",
    [("s3://casemgr", ("casemgr", "")), ("s3://casemgr/prod/files/", ("casemgr", "prod/files"))],
)
def test_the_bucket_url_names_bucket_and_prefix(url, parsed):
    assert parse_s3_url(url) == parsed


@pytest.mark.parametrize("url", ["https://casemgr/x", "s3:///prefix", "s3://b/p?x=1", "/var/lib/files"])
def test_a_url_that_is_not_s3_bucket_prefix_is_refused(url):
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        parse_s3_url(url)
