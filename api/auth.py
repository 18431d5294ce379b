"""Who is calling: a bearer token (or a web session, later) -> the user; role checks on views.

Authenticators are tried in order, each `(request) -> UserView | None`; the first user
found wins. The bearer one is built in; the web issue adds the session cookie with its
`X-CSRF-Token` check by calling `add_authenticator(app, fn)` (API.md, Authentication).
"""
from __future__ import annotations

from copy import deepcopy
from functools import wraps
from typing import Callable

from flask import Flask, Request, current_app, g, request

from engine import Actor, Forbidden
from engine.identity import Unauthorized, UserView

from .extensions import current_users

Authenticator = Callable[[Request], "UserView | None"]
BEARER_AUTH = {"bearerAuth": {"type": "http", "scheme": "bearer"}}


def bearer_token(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def bearer_user(req: Request) -> UserView | None:
    token = bearer_token(req)
    return current_users().resolve(token) if token else None


def add_authenticator(app: Flask, authenticator: Authenticator) -> None:
    app.extensions.setdefault("diwan.authenticators", []).append(authenticator)


def current_user() -> UserView | None:
    """The calling user, or None; resolved once per request."""
    if "diwan_user" not in g:
        g.diwan_user = None
        for authenticate in current_app.extensions.get("diwan.authenticators", ()):
            user = authenticate(request)
            if user is not None:
                g.diwan_user = user
                break
    return g.diwan_user


def require_user() -> UserView:
    """Raises Unauthorized (401) when nobody is authenticated."""
    user = current_user()
    if user is None:
        raise Unauthorized("Authentication required: send Authorization: Bearer <token>.")
    return user


def current_actor() -> Actor:
    return require_user().actor


def has_role(*roles: str) -> bool:
    user = current_user()
    return user is not None and bool(set(roles) & set(user.roles))


def requires(*roles: str):
    """Decorate a view: the caller must be authenticated (401) and hold one of `roles` (403).

    No roles: any authenticated user. The OpenAPI operation gets the bearer security
    requirement and an `x-roles` list.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = require_user()
            if roles and not set(roles) & set(user.roles):
                raise Forbidden(f"This needs the role {' or '.join(roles)}.")
            return view(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        manual["security"] = [{"bearerAuth": []}]
        manual["x-roles"] = list(roles) or ["any authenticated user"]
        return wrapper

    return decorator


def public(view):
    """Mark a view as open to anonymous callers in the OpenAPI document."""
    view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    view._apidoc.setdefault("manual_doc", {})["security"] = []
    return view


def register(app: Flask) -> None:
    add_authenticator(app, bearer_user)
