"""An attachment sent to the browser or an API client, the same way for every store:
streamed in pieces (never read whole into memory), always as a download
(``Content-Disposition: attachment`` with the sanitised name, a generic type, and the
app's ``nosniff``), never cached by shared caches, and never by a redirect to the store."""

from __future__ import annotations

from flask import Response, abort
from werkzeug.http import dump_options_header

from casemgr.cases.attachments import AttachmentStore, sanitise_filename
from casemgr.cases.models import Attachment


def attachment_response(store: AttachmentStore, attachment: Attachment) -> Response:
    """The file of ``attachment`` (already checked visible to the caller); 404 if the store
    lost it, :class:`~casemgr.cases.attachments.StoreUnavailable` (503) if it cannot answer."""
    blob = store.open(attachment.sha256)
    if blob is None:
        abort(404)
    response = Response(blob.chunks, mimetype="application/octet-stream", direct_passthrough=True)
    response.content_length = blob.size
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": sanitise_filename(attachment.filename)}
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
