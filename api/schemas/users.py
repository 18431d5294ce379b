"""Users: creation body and the user as returned."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.identity import GROUP, MAX_PASSWORD, MIN_PASSWORD, ROLES, USERNAME

from .fields import text
from .paging import PageSchema


class UserCreateSchema(Schema):
    username = text(150, min_length=1, required=True, validate=[validate.Regexp(f"^{USERNAME.pattern}$")])
    password = text(MAX_PASSWORD, min_length=MIN_PASSWORD, required=True, load_only=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))
    groups = fields.List(text(255, min_length=1, validate=[validate.Regexp(f"^{GROUP.pattern}$")]), load_default=list,
                         validate=validate.Length(max=100))


class UserSchema(Schema):
    username = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    groups = fields.List(fields.String(), required=True)


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema), required=True)
