"""Attachment storage: outside the web root, content-addressed, names sanitised.

:class:`AttachmentStore` is the interface every channel writes through and every
download reads through. Its :meth:`~AttachmentStore.save` streams an upload to a
spool file while hashing it (nothing is held in memory whole, oversize is refused
as it arrives), then hands the spooled file to the backend under its SHA-256:
:class:`LocalAttachmentStore` (a folder of one host, the default) or
``casemgr.cases.s3_store.S3AttachmentStore`` (an S3-compatible bucket shared by
every host, when ``CASEMGR_ATTACHMENT_URL=s3://bucket/prefix``). Pick one with
:func:`attachment_store`.
"""

from __future__ import annotations

import copy
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from werkzeug.utils import secure_filename

from casemgr.cases.rules import CaseRuleError
from casemgr.errors import DomainError

_CHUNK = 1024 * 1024
#: Downloads are read and sent in pieces of this size, whichever the backend.
DOWNLOAD_CHUNK = 64 * 1024


class StoreUnavailable(DomainError):
    """The attachment store cannot be read or written right now (503): nothing was saved."""

    status, code = 503, "storage_unavailable"


@dataclass(frozen=True)
class Upload:
    """A file as received from any channel: a name and a readable stream."""

    filename: str
    stream: BinaryIO
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class StoredBlob:
    """A stored file opened for reading: its size and its bytes in pieces. Closing
    ``chunks`` (a generator; the WSGI server does at the end of the response) releases
    the file or the connection, also when the client goes away half-way."""

    size: int
    chunks: Iterator[bytes]


def sanitise_filename(name: str) -> str:
    cleaned = secure_filename(name or "")[:200]
    return cleaned or "attachment.bin"


def checked_key(sha256: str) -> str:
    """``aa/<sha256>``: the only names a store ever reads or writes (no user text in them)."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("bad checksum")
    return f"{sha256[:2]}/{sha256}"


class AttachmentStore:
    """Content-addressed file storage: the same bytes are stored once, under their SHA-256.

    Subclasses say where the bytes go (:meth:`put`), how they come back (:meth:`open`),
    and how readiness is checked (:meth:`probe`); the checks on what comes in are here,
    the same for every backend.
    """

    #: Where files are kept, for logs and messages (never a secret).
    location = "attachment store"

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def with_limit(self, max_bytes: int) -> AttachmentStore:
        """The same store with another size limit (mail originals may be larger than files)."""
        other = copy.copy(self)
        other.max_bytes = max_bytes
        return other

    def spool_dir(self) -> str | None:
        """Where uploads are spooled while hashed (``None``: the system's temporary folder)."""
        return None

    def save(self, upload: Upload) -> StoredFile:
        """Stream to a spool file while hashing, refuse oversize and empty files, then store."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.spool_dir(), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := upload.stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise CaseRuleError(
                            f"{sanitise_filename(upload.filename)} is larger than the"
                            f" {self.max_bytes // (1024 * 1024)} MB limit."
                        )
                    digest.update(chunk)
                    tmp.write(chunk)
            if size == 0:
                raise CaseRuleError(f"{sanitise_filename(upload.filename)} is empty.")
            self.put(Path(tmp_name), digest.hexdigest(), size)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        content_type = (upload.content_type or "application/octet-stream")[:100]
        return StoredFile(sanitise_filename(upload.filename), content_type, size, digest.hexdigest())

    def put(self, spooled: Path, sha256: str, size: int) -> None:
        """Keep the spooled file (its contents hash to ``sha256``); it may be moved away."""
        raise NotImplementedError

    def exists(self, sha256: str) -> bool:
        raise NotImplementedError

    def open(self, sha256: str) -> StoredBlob | None:
        """The stored file, or ``None`` when the store does not hold it."""
        raise NotImplementedError

    def probe(self) -> None:
        """Write and delete a small object; :class:`StoreUnavailable` says why that failed."""
        raise NotImplementedError


class LocalAttachmentStore(AttachmentStore):
    """Files under one folder of this host (``ATTACHMENT_DIR``): ``root/aa/<sha256>``."""

    def __init__(self, root: str | os.PathLike[str], max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.root = Path(root)
        self.location = "the attachment folder"

    def path_for(self, sha256: str) -> Path:
        return self.root / checked_key(sha256)

    def spool_dir(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        return str(self.root)  # the same file system: moving into place is atomic

    def put(self, spooled: Path, sha256: str, size: int) -> None:
        target = self.path_for(sha256)
        target.parent.mkdir(exist_ok=True)
        os.replace(spooled, target)

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> StoredBlob | None:
        path = self.path_for(sha256)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return None
        return StoredBlob(os.fstat(handle.fileno()).st_size, _file_chunks(handle))

    def probe(self) -> None:
        probe = self.root / f".probe-{secrets.token_hex(8)}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StoreUnavailable(f"the attachment folder is not writable ({exc.strerror or exc})") from exc


def _file_chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(DOWNLOAD_CHUNK):
            yield chunk


def attachment_store(config: Mapping[str, Any]) -> AttachmentStore:
    """The store the app's configuration names: the S3 bucket of ``ATTACHMENT_URL`` if set,
    otherwise the folder ``ATTACHMENT_DIR``; with the upload limit ``MAX_CONTENT_LENGTH``."""
    url = config.get("ATTACHMENT_URL") or ""
    if url:
        from casemgr.cases.s3_store import S3AttachmentStore  # boto3 only where it is used

        return S3AttachmentStore.from_url(
            url, config["MAX_CONTENT_LENGTH"], endpoint_url=config.get("S3_ENDPOINT_URL") or None
        )
    return LocalAttachmentStore(config["ATTACHMENT_DIR"], config["MAX_CONTENT_LENGTH"])
