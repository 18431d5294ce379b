"""Users (admin): create and list."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import requires
from ..blueprint import Blueprint
from ..extensions import current_users
from ..schemas.paging import PageArgsSchema
from ..schemas.users import UserCreateSchema, UserPageSchema, UserSchema

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users, roles and groups (admin).")


@blp.route("")
class UsersResource(MethodView):
    @requires("admin")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """List users, by username"""
        items, total = current_users().list_users(args["page"], args["per_page"])
        return {"items": items, "total": total, **args}

    @requires("admin")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, body):
        """Create a user with roles (admin, designer, clerk, auditor) and groups

        A taken username is a 409.
        """
        return current_users().create_user(body["username"], body["password"], body["roles"], body["groups"])
