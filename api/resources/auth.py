"""Authentication: log in for a bearer token, log out, who am I."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from ..auth import bearer_token, public, require_user, requires
from ..blueprint import Blueprint
from ..extensions import current_users
from ..schemas.auth import LoginSchema, TokenSchema
from ..schemas.error import ErrorSchema
from ..schemas.users import UserSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens.")


@blp.route("/token")
class TokenResource(MethodView):
    @public
    @blp.arguments(LoginSchema())
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong username or password.")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many failed logins lately (see Retry-After).")
    @blp.alt_response(503, schema=ErrorSchema, description="The database, or the memory to check the password, "
                                                           "is unavailable (see Retry-After).")
    def post(self, body):
        """Log in: exchange a username and password for a bearer token

        Send the token as `Authorization: Bearer <token>`; it expires at `expires_at`.
        Repeated failures are throttled (429 with Retry-After): per username from one
        client address, and per address whatever the username.
        """
        return current_users().login(body["username"], body["password"], request.remote_addr)


@blp.route("/logout")
class LogoutResource(MethodView):
    @requires()
    @blp.response(204)
    def post(self):
        """Log out: revoke the bearer token of this request"""
        token = bearer_token(request)
        if token:
            current_users().revoke(token)


@blp.route("/me")
class MeResource(MethodView):
    @requires()
    @blp.response(200, UserSchema)
    def get(self):
        """The calling user, with roles and groups"""
        return require_user()
