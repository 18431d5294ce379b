"""Users (admin): create and list."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_engine, current_users
from ..schemas.paging import PageArgsSchema
from ..schemas.users import (AdminUserSchema, GroupSaveSchema, GroupSchema, PasswordSchema, UserCreateSchema, UserPageSchema,
                             UserSchema, UserUpdateSchema)

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users, roles and groups (admin).")


@blp.route("")
class UsersResource(MethodView):
    @requires("admin")
    @blp.arguments(PageArgsSchema(), location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """List users, by username"""
        items, total = current_users().list_users(args["page"], args["per_page"])
        return {"items": items, "total": total, **args}

    @requires("admin")
    @blp.arguments(UserCreateSchema())
    @blp.response(201, UserSchema)
    def post(self, body):
        """Create a user with roles (admin, designer, clerk, auditor) and groups

        A taken username is a 409.
        """
        return current_users().create_user(body["username"], body["password"], body["roles"], body["groups"],
                                           actor=current_actor().username)


@blp.route("/<username>")
class UserResource(MethodView):
    @requires("admin")
    @blp.response(200, AdminUserSchema)
    def get(self, username):
        """Get a user"""
        return current_users().get_user(username)

    @requires("admin")
    @blp.arguments(UserUpdateSchema())
    @blp.response(200, AdminUserSchema)
    def patch(self, body, username):
        """Change a user's roles, groups, or disable/enable them (absent fields: unchanged)

        Disabling revokes their tokens and sessions; an admin cannot disable themselves or
        take away their own admin role (422).
        """
        return current_engine().update_user(username, roles=body.get("roles"), groups=body.get("groups"),
                                            disabled=body.get("disabled"), actor=current_actor())


@blp.route("/<username>/password")
class PasswordResource(MethodView):
    @requires("admin")
    @blp.arguments(PasswordSchema())
    @blp.response(204)
    def post(self, body, username):
        """Reset a user's password; their tokens and sessions are revoked"""
        engine = current_engine()
        current_users().get_user(username)  # 404 before the hashing
        engine.reset_password(username, current_users().hash_password(body["password"]), actor=current_actor())


groups_blp = Blueprint("groups", __name__, url_prefix="/api/v1/groups", description="Groups and their display names (admin).")


@groups_blp.route("")
class GroupsResource(MethodView):
    @requires()
    @groups_blp.response(200, GroupSchema(many=True))
    def get(self):
        """List the groups with their display names and member counts (any authenticated user)"""
        return current_engine().groups()


@groups_blp.route("/<name>")
class GroupResource(MethodView):
    @requires("admin")
    @groups_blp.response(200, GroupSchema)
    def get(self, name):
        """Get a group with its members' usernames"""
        engine = current_engine()
        found = next((g for g in engine.groups() if g["name"] == name), None)
        if found is None:
            from engine import NotFound

            raise NotFound(f"group {name!r} not found")
        return {**found, "members": engine.group_members(name)}

    @requires("admin")
    @groups_blp.arguments(GroupSaveSchema)
    @groups_blp.response(200, GroupSchema)
    def put(self, body, name):
        """Create a group or change its display name (and, with `members`, its members)"""
        return current_engine().save_group(name, body["label"], body.get("members"), actor=current_actor())
