"""Audit: time travel, verification, incidents and the manual clock."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .instances import IncidentSchema
from .paging import PageArgsSchema, PageSchema


class StateArgsSchema(Schema):
    at_seq = fields.Integer(required=True, validate=validate.Range(min=1),
                            metadata={"description": "The event after which to show the instance."})


class OpenTaskSchema(Schema):
    id = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    assignee = fields.String(allow_none=True)


class StateSchema(Schema):
    seq = fields.Integer(required=True)
    data = fields.Dict(required=True)
    status = fields.String(required=True)
    active_elements = fields.List(fields.String(), required=True)
    open_tasks = fields.List(fields.Nested(OpenTaskSchema), required=True)


class VerifySchema(Schema):
    chain_ok = fields.Boolean(required=True)
    replay_ok = fields.Boolean(required=True)
    first_bad_seq = fields.Integer(allow_none=True, required=True)
    detail = fields.String(required=True)


class IncidentWithInstanceSchema(IncidentSchema):
    instance_id = fields.String(required=True)


class IncidentPageSchema(PageSchema):
    items = fields.List(fields.Nested(IncidentWithInstanceSchema), required=True)


class IncidentArgsSchema(PageArgsSchema):
    pass


class ClockSchema(Schema):
    advance = fields.String(metadata={"description": "An ISO 8601 duration, e.g. P3D."})
    set = fields.AwareDateTime(metadata={"description": "A time with a UTC offset, not before now."})

    @validates_schema
    def _one_of(self, data, **_):
        if ("advance" in data) == ("set" in data):
            raise ValidationError("Give exactly one of advance and set.", "_schema")


class ClockResultSchema(Schema):
    now = fields.DateTime(required=True)
    fired = fields.Integer(required=True)
