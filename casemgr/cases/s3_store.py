"""Attachments in an S3-compatible bucket, shared by every host of a deployment.

Keys are ``<prefix>/aa/<sha256>``, built only from the checked checksum. Uploads go
from the spool file in parts (boto3's managed transfer reads the file piece by
piece); downloads are the object's body read in pieces. No presigned URL is ever
handed out: every download goes through the app's own tenancy checks.

The endpoint comes from ``CASEMGR_S3_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL``);
credentials and region from boto3's own chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, an instance role...), never from Casemgr's
configuration.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from casemgr.cases.attachments import DOWNLOAD_CHUNK, AttachmentStore, StoredBlob, StoreUnavailable, checked_key

#: Parts of 8 MB, two at a time: a 50 MB upload holds at most a few parts' buffers.
TRANSFER = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)
_MISSING = {"404", "NoSuchKey", "NotFound"}
log = logging.getLogger(__name__)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, "some/prefix"); ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"CASEMGR_ATTACHMENT_URL must look like s3://bucket/prefix, not {url!r}")
    return parts.netloc, parts.path.strip("/")


@cache
def s3_client(endpoint_url: str | None, *, probe: bool = False) -> Any:
    """One client per endpoint and purpose, shared by the threads of this process (boto3
    clients are thread-safe). The probe's client tries once, with short timeouts, so that
    ``/readyz`` answers quickly when the store is down."""
    config = Config(
        connect_timeout=2 if probe else 5,
        read_timeout=5 if probe else 60,
        retries={"max_attempts": 1 if probe else 3, "mode": "standard"},
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def _reason(exc: Exception) -> str:
    """Why a call failed, in words fit for a log line and a readiness answer (no secrets)."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "error")
        if code in ("404", "NotFound") and exc.operation_name == "HeadBucket":
            code = "NoSuchBucket"
        return {
            "NoSuchBucket": "the bucket does not exist",
            "AccessDenied": "access denied",
            "403": "access denied",
        }.get(code, code)
    return "the object store is unreachable"


def _unavailable(location: str, exc: Exception, message: str) -> StoreUnavailable:
    """The refusal the user sees, after logging what the store said (for the operator)."""
    log.warning("attachment store %s: %s (%s: %s)", location, message, type(exc).__name__, exc)
    return StoreUnavailable(message)


class S3AttachmentStore(AttachmentStore):
    def __init__(self, bucket: str, prefix: str, max_bytes: int, *, endpoint_url: str | None = None) -> None:
        super().__init__(max_bytes)
        self.bucket, self.prefix, self.endpoint_url = bucket, prefix.strip("/"), endpoint_url
        self.location = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    @classmethod
    def from_url(cls, url: str, max_bytes: int, *, endpoint_url: str | None = None) -> S3AttachmentStore:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, max_bytes, endpoint_url=endpoint_url)

    @property
    def client(self) -> Any:
        return s3_client(self.endpoint_url)

    def key_for(self, sha256: str) -> str:
        key = checked_key(sha256)
        return f"{self.prefix}/{key}" if self.prefix else key

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key_for(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise _unavailable(self.location, exc, f"Attachments cannot be stored right now: {_reason(exc)}.") from exc
        except BotoCoreError as exc:
            raise _unavailable(self.location, exc, f"Attachments cannot be stored right now: {_reason(exc)}.") from exc
        return True

    def put(self, spooled: Path, sha256: str, size: int) -> None:
        if self.exists(sha256):
            return  # content-addressed: the same bytes are already there
        try:
            self.client.upload_file(
                str(spooled),
                self.bucket,
                self.key_for(sha256),
                ExtraArgs={"ContentType": "application/octet-stream"},
                Config=TRANSFER,
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(self.location, exc, f"Attachments cannot be stored right now: {_reason(exc)}.") from exc

    def open(self, sha256: str) -> StoredBlob | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key_for(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise _unavailable(self.location, exc, f"The file cannot be read right now: {_reason(exc)}.") from exc
        except BotoCoreError as exc:
            raise _unavailable(self.location, exc, f"The file cannot be read right now: {_reason(exc)}.") from exc
        return StoredBlob(int(answer["ContentLength"]), _body_chunks(answer["Body"]))

    def probe(self) -> None:
        key = f"{self.prefix}/.probe/{secrets.token_hex(8)}" if self.prefix else f".probe/{secrets.token_hex(8)}"
        client = s3_client(self.endpoint_url, probe=True)
        try:
            # Some servers create a missing bucket on the first write: ask for it first.
            client.head_bucket(Bucket=self.bucket)
            client.put_object(Bucket=self.bucket, Key=key, Body=b"ok")
            client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(self.location, exc, f"{self.location} is not writable: {_reason(exc)}") from exc


def _body_chunks(body: Any) -> Iterator[bytes]:
    """The object's bytes in pieces; the connection goes back to the pool when done or closed."""
    try:
        yield from body.iter_chunks(DOWNLOAD_CHUNK)
    finally:
        body.close()
