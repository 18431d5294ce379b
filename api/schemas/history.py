"""History: the hash-chained events of an instance."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class HistoryArgsSchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv: the same rows as CSV (auditor, admin)."})
    type = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=None,
                       metadata={"description": "Only events of these types (repeatable)."})
    actor = fields.String(load_default=None, validate=validate.Length(min=1, max=150),
                          metadata={"description": "Only events by this actor (`system` for engine-made ones)."})
    since = fields.AwareDateTime(load_default=None, metadata={"description": "Only events at or after this time."})
    until = fields.AwareDateTime(load_default=None, metadata={"description": "Only events at or before this time."})


class EventSchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    type = fields.String(required=True)
    actor = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    payload = fields.Dict(required=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class HistorySchema(Schema):
    events = fields.List(fields.Nested(EventSchema), required=True)
