"""Attachment storage: outside the web root, content-addressed, names sanitised."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from werkzeug.utils import secure_filename

from casemgr.cases.rules import CaseRuleError

_CHUNK = 1024 * 1024


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


def sanitise_filename(name: str) -> str:
    cleaned = secure_filename(name or "")[:200]
    return cleaned or "attachment.bin"


class AttachmentStore:
    def __init__(self, root: str | os.PathLike[str], max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("bad checksum")
        return self.root / sha256[:2] / sha256

    def save(self, upload: Upload) -> StoredFile:
        """Stream to a temp file while hashing, refuse oversize, then move into place."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
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
            target = self.path_for(digest.hexdigest())
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, target)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        content_type = (upload.content_type or "application/octet-stream")[:100]
        return StoredFile(sanitise_filename(upload.filename), content_type, size, digest.hexdigest())
