"""Login and token bodies."""
from __future__ import annotations

from marshmallow import Schema, fields

from .fields import text
from .users import UserSchema


class LoginSchema(Schema):
    username = text(150, min_length=1, required=True)
    password = text(1024, min_length=1, required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "Send as `Authorization: Bearer <token>`."})
    expires_at = fields.DateTime(required=True)
    user = fields.Nested(UserSchema, required=True)
