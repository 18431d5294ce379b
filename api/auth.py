"""Who is calling: a bearer token (or a web session, later) -> the user; role checks on views.

Authenticators are tried in order, each `(request) -> UserView | None`; the first user
found wins. The bearer one is built in; the web issue adds the session cookie with its
`X-CSRF-Token` check by calling `add_authenticator(app, fn)` (API.md, Authentication).
"""
from __future__ import annotations

import base64
import hashlib
import time
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
    header = req.environ.get("HTTP_AUTHORIZATION", "")  # headers.get raises inside when it lacks one
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def bearer_user(req: Request) -> UserView | None:
    token = bearer_token(req)
    return current_users().resolve(token) if token else None


def basic_user(req: Request) -> UserView | None:
    """HTTP Basic credentials (a diwan username and password) -> the user; None without them.

    Wrong credentials raise Unauthorized, and count as failed logins (throttled the same
    way). A password that verified is remembered for `BASIC_AUTH_CACHE_SECONDS` (keyed by
    a hash of the credentials), so a worker polling every second costs one argon2
    verification a minute, not one per request; a changed password or a removed user is
    seen when the entry expires. External-task workers authenticate this way (Camunda's
    clients send Basic auth).
    """
    scheme, _, encoded = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        sep = ""
    if not sep:
        raise Unauthorized("Malformed Basic credentials: send base64(username:password).")
    cache = current_app.extensions.setdefault("diwan.basic_auth_cache", {})
    key = hashlib.sha256(f"{username}\0{password}".encode("utf-8", "surrogatepass")).hexdigest()
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and hit[1] > now:
        return hit[0]
    user = current_users().authenticate(username, password, req.remote_addr)
    if len(cache) >= 1000:  # a bound, not an eviction policy: forget them all
        cache.clear()
    cache[key] = (user, now + float(current_app.config.get("BASIC_AUTH_CACHE_SECONDS", 60)))
    return user


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
