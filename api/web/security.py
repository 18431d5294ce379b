"""Web sessions, CSRF and security headers.

- Logging in on `/login` checks the password with the API's UserStore and keeps a
  server-side token of kind `session` (revoked at logout, expiring like a bearer token)
  in Flask's signed session cookie: HttpOnly, SameSite=Lax, Secure unless TESTING
  (`WEB_SECURE_COOKIE` / `DIWAN_WEB_SECURE_COOKIE` overrides).
- The session also holds a random CSRF token. The pages' scripts send it in
  `X-CSRF-Token`; the API accepts the session cookie only with it (any method), and the
  pages' own mutating requests need it as that header or as a `csrf_token` form field.
- Every response gets a strict Content-Security-Policy (`script-src 'self'`, no inline
  scripts); editor pages (bpmn-js properties panel, form-js editor, dmn-js) and
  /api/docs may add `style-src 'unsafe-inline'`.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Flask, Request, Response, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from engine.identity import UserView

from .. import auth
from ..extensions import current_users

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'{inline}; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(sent: str | None) -> bool:
    expected = session.get("csrf")
    return bool(sent and expected) and hmac.compare_digest(str(sent), str(expected))


def log_in(user: UserView) -> None:
    """Start a fresh session for `user` (a new session token and a new CSRF token)."""
    issued = current_users().issue_token(user, kind="session")
    session.clear()
    session.permanent = True
    session["token"] = issued.token
    session["csrf"] = secrets.token_urlsafe(32)


def log_out() -> None:
    token = session.get("token")
    if token:
        current_users().revoke(token)
    session.clear()


def session_user(req: Request) -> UserView | None:
    """The authenticator of the session cookie: on /api/ paths only with the CSRF header."""
    token = session.get("token")
    if not token:
        return None
    if req.path.startswith("/api/") and not csrf_ok(req.headers.get(CSRF_HEADER)):
        return None
    return current_users().resolve(token)


def allow_inline_styles() -> None:
    """For the editor pages: their libraries set style attributes and inject <style> elements."""
    g.csp_inline_styles = True


def _security_headers(response: Response) -> Response:
    """The headers every answer carries unless its view set them. (Looked for in one pass:
    werkzeug's `setdefault` raises and catches an HTTP exception for each header it lacks.)"""
    inline = g.get("csp_inline_styles") or request.path.startswith("/api/docs")
    present = {name.lower() for name in response.headers.keys()}
    for name, value in (("Content-Security-Policy", CSP.format(inline=" 'unsafe-inline'" if inline else "")),
                        ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                        ("Referrer-Policy", "same-origin")):
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


def register(app: Flask) -> None:
    secure = app.config.get("WEB_SECURE_COOKIE")
    app.config.update(
        SESSION_COOKIE_NAME="diwan_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(not app.testing) if secure is None else bool(secure),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(app.config["TOKEN_TTL_HOURS"])),
    )
    app.session_interface = CookieOnDemandSessions()
    auth.add_authenticator(app, session_user)
    app.after_request(_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


class CookieOnDemandSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a request without the session cookie (an API
    client with a bearer token) gets its empty session without the signing serializer, which
    Flask builds at every request before it looks for the cookie."""

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:  # (`get` raises inside)
            return self.session_class()
        return super().open_session(app, request)


def web_post_refused() -> bool:
    """True when a mutating request to a page lacks the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return False
    return not csrf_ok(request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD))


__all__ = ["csrf_token", "log_in", "log_out", "session_user", "allow_inline_styles", "web_post_refused",
           "current_app"]
