"""A case's files through the API: list, upload (multipart), download (streamed).

Same services and checks as the case page: an upload is a reply (or, for vendor staff,
an internal note) carrying the files, through ``comments.add_comment``; a download is
only of a file the caller may see, sent by :func:`casemgr.cases.downloads.attachment_response`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload as UploadField
from marshmallow import fields, validate

from casemgr.api.auth import api_user
from casemgr.api.cases import case_or_404
from casemgr.api.schemas import StrictSchema
from casemgr.cases import comments
from casemgr.cases.attachments import Upload, attachment_store
from casemgr.cases.downloads import attachment_response
from casemgr.cases.models import Attachment
from casemgr.cases.queries import get_attachment_for, visible_attachments
from casemgr.db import get_session
from casemgr.errors import NotFoundError
from casemgr.web import now

blp = Blueprint("api_attachments", __name__, description="Files attached to support cases")


class AttachmentSchema(StrictSchema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    public = fields.Boolean(metadata={"description": "false: attached to an internal note (vendor staff only)"})
    created_at = fields.DateTime()


class AttachmentListSchema(StrictSchema):
    items = fields.List(fields.Nested(AttachmentSchema))


class AttachmentUploadSchema(StrictSchema):
    file = fields.List(
        UploadField(), required=True, validate=validate.Length(min=1, max=20), metadata={"description": "one or more"}
    )


class AttachmentUploadQuerySchema(StrictSchema):
    public = fields.Boolean(
        load_default=True, metadata={"description": "vendor staff: false attaches the files to an internal note"}
    )


def _represent(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "public": attachment.event.public if attachment.event is not None else True,
        "created_at": attachment.created_at,
    }


@blp.route("/cases/<number>/attachments")
class Attachments(MethodView):
    @blp.response(200, AttachmentListSchema)
    def get(self, number):
        """The case's files the caller may see, oldest first."""
        case = case_or_404(number)
        return {"items": [_represent(a) for a in visible_attachments(get_session(), api_user(), case)]}

    @blp.arguments(AttachmentUploadQuerySchema(), location="query")
    @blp.arguments(AttachmentUploadSchema(), location="files")
    @blp.response(201, AttachmentListSchema)
    def post(self, query, files, number):
        """Attach files (multipart field ``file``, repeated) as a reply; streamed to the store,
        refused above the upload limit (413 for the whole request, 422 for one file)."""
        session, user, case = get_session(), api_user(), case_or_404(number)
        uploads = [Upload(f.filename or "", f.stream, f.mimetype) for f in files["file"] if f and f.filename]
        event = comments.add_comment(
            session,
            user,
            attachment_store(current_app.config),
            case,
            body="",
            public=query["public"],
            now=now(),
            uploads=uploads,
            channel="api",
        )
        return {"items": [_represent(a) for a in event.attachments]}


@blp.route("/cases/<number>/attachments/<id:attachment_id>")
class AttachmentFile(MethodView):
    @blp.response(200, content_type="application/octet-stream", description="The file's bytes, as a download.")
    def get(self, number, attachment_id):
        """Download one file (streamed; always ``Content-Disposition: attachment``)."""
        case = case_or_404(number)
        attachment = get_attachment_for(get_session(), api_user(), case, attachment_id)
        if attachment is None:
            raise NotFoundError("No such attachment on this case.")
        return attachment_response(attachment_store(current_app.config), attachment)
