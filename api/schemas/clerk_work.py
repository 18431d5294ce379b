"""Clerk work: reassignment, comments, attachments and the access log, as the API takes and returns them."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from .fields import text as string
from .paging import PageArgsSchema, PageSchema


class ReassignSchema(Schema):
    to_user = string(150, min_length=1, required=True, metadata={"description": "A clerk of the task's groups."})


class CommentBodySchema(Schema):
    text = string(4000, min_length=1, required=True)
    task_id = string(64, load_default=None, allow_none=True)


class CommentSchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    text = fields.String(required=True)
    task_id = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)


class CommentListSchema(Schema):
    items = fields.List(fields.Nested(CommentSchema), required=True)


class UploadArgsSchema(Schema):
    file = Upload(required=True, metadata={"description": "The file (one part named `file`)."})


class UploadFieldSchema(Schema):
    field = string(255, min_length=1, required=True, metadata={"description": "The filepicker field's key."})


class AttachmentSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.String(required=True)
    task_id = fields.String(required=True)
    field = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True, metadata={"description": "As sniffed from the content."})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_by = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)


class AttachmentListSchema(Schema):
    items = fields.List(fields.Nested(AttachmentSchema), required=True)


class AccessLogArgsSchema(PageArgsSchema):
    instance_id = string(64)
    actor = string(150)
    since = fields.DateTime()
    until = fields.DateTime()


class AccessRowSchema(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    instance_id = fields.String(required=True)
    view = fields.String(required=True, metadata={"enum": ["case_page", "task_page", "history_page", "api_instance",
                                                            "api_task", "api_history", "api_state", "attachment"]})
    address = fields.String(allow_none=True)


class AccessLogPageSchema(PageSchema):
    items = fields.List(fields.Nested(AccessRowSchema), required=True)


DUE = ("overdue", "today", "week")
SORT = ("due", "created", "-created", "name")
due_field = fields.String(validate=validate.OneOf(DUE), metadata={"description": "overdue, today or week."})
sort_field = fields.String(load_default="due", validate=validate.OneOf(SORT))
