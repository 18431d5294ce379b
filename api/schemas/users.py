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


class AdminUserSchema(UserSchema):
    """A user as admins see them."""

    disabled = fields.Method("_disabled", metadata={"description": "A disabled user neither logs in nor uses a token."})

    def _disabled(self, user) -> bool:
        return getattr(user, "disabled_at", None) is not None


def _group_list(**kwargs):
    return fields.List(text(255, min_length=1, validate=[validate.Regexp(f"^{GROUP.pattern}$")]),
                       validate=validate.Length(max=100), **kwargs)


class UserUpdateSchema(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), validate=validate.Length(min=1, max=len(ROLES)))
    groups = _group_list()
    disabled = fields.Boolean()


class PasswordSchema(Schema):
    password = text(MAX_PASSWORD, min_length=MIN_PASSWORD, required=True, load_only=True)


class GroupSchema(Schema):
    name = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "The display name pages show."})
    members = fields.Raw(required=True, metadata={"description": "Member count (list) or usernames (one group)."})


class GroupSaveSchema(Schema):
    label = text(255, min_length=1, required=True)
    members = fields.List(text(150, min_length=1), validate=validate.Length(max=10_000),
                          metadata={"description": "Usernames: the group's members from now on (absent: unchanged)."})


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminUserSchema), required=True)
