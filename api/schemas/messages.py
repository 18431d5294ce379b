"""Messages: the body and the instances reached."""
from __future__ import annotations

from marshmallow import Schema, fields

from .fields import text, variables


class MessageSchema(Schema):
    name = text(255, min_length=1, required=True)
    correlation_key = text(255, required=True, metadata={"description": "Matches business_key."})
    data = variables(load_default=dict)


class CorrelatedSchema(Schema):
    correlated = fields.List(fields.String(), required=True)
