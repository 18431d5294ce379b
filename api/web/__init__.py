"""The web pages (French UI) for designers, clerks and auditors: server-rendered Jinja pages
whose scripts call the JSON API with the session cookie and the `X-CSRF-Token` header.

- `security.py`: the session-cookie login, its authenticator for the API (CSRF header
  required), the CSRF check of the pages' own posts, and the security headers (CSP).
- `assets.py`: the npm packages' browser bundles, served from `node_modules` through an
  allow-list (nothing vendored in git).
- `i18n.py`: the pages' languages (French, Arabic right to left), dates in one time zone.
- `pages.py`: the pages, with the same role, group and instance-read rules as the API.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import NotFound

from . import assets, i18n, pages, security


def register(app: Flask) -> None:
    security.register(app)
    i18n.register(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(assets.bp)
    app.register_error_handler(NotFound, pages.page_not_found)
