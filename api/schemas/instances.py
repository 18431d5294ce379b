"""Process instances: start, filters, cancel, and the instance as returned."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .fields import text, variables
from .paging import PageArgsSchema, PageSchema

STATUSES = ("running", "completed", "cancelled", "failed", "suspended")


class StartSchema(Schema):
    data = variables(load_default=dict)
    business_key = text(255, allow_none=True, load_default=None,
                        metadata={"description": "Optional; unique per process (409 naming it); messages correlate on it."})


class InstanceArgsSchema(PageArgsSchema):
    definition_key = text(255)
    status = fields.String(validate=validate.OneOf(STATUSES))
    business_key = text(255)
    created_from = fields.AwareDateTime(metadata={"description": "Only instances started at or after this time."})
    created_to = fields.AwareDateTime(metadata={"description": "Only instances started at or before this time."})


class CancelSchema(Schema):
    reason = text(2000, allow_none=True, load_default=None)


class IncidentSchema(Schema):
    id = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    message = fields.String(required=True)
    attempts = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class InstanceSchema(Schema):
    id = fields.String(required=True)
    definition_key = fields.String(required=True)
    definition_version = fields.Integer(required=True)
    business_key = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    data = fields.Dict(required=True)
    active_elements = fields.List(fields.String(), required=True)
    incidents = fields.List(fields.Nested(IncidentSchema), required=True)
    created_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    version = fields.Integer(required=True)


class InstancePageSchema(PageSchema):
    items = fields.List(fields.Nested(InstanceSchema), required=True)
