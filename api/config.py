"""Configuration: documented defaults, overridden by `DIWAN_*` variables, then by a test config.

Every key below can be set as `DIWAN_<KEY>` (values are read as JSON when they parse,
so `DIWAN_MAX_UPLOAD_MB=5` is a number).
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from engine.secret_files import write_once

DEFAULTS = {
    # SQLAlchemy URL of the database (PostgreSQL: postgresql+psycopg://user@host/db).
    "DATABASE_URL": "sqlite:///diwan.db",
    # Signs web sessions; required unless the database is a SQLite file, where one is
    # generated and kept beside it (`<database>.secret`).
    "SECRET_KEY": None,
    # Largest request body (uploads included), in MiB: bigger ones get 413.
    "MAX_UPLOAD_MB": 10,
    # Lifetime of a bearer token, in hours.
    "TOKEN_TTL_HOURS": 12,
    # Failed logins of one username from one client address allowed within
    # LOGIN_WINDOW_SECONDS; more get 429 (that address only: the user logs in from others).
    "LOGIN_MAX_FAILURES": 5,
    # Failed logins from one client address, whatever the username, within the window (0: no limit).
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,
    "LOGIN_WINDOW_SECONDS": 900,
    # Reverse proxies in front of diwan that append the client to X-Forwarded-For. 0: the
    # client address is the socket peer and X-Forwarded-For is ignored (anyone can forge it).
    "TRUSTED_PROXIES": 0,
    # Bearer token that /metrics requires; unset, /metrics is a 404.
    "METRICS_TOKEN": None,
    # How long /healthz's write probe may wait for the database (SQLite's write lock, say).
    "HEALTH_TIMEOUT_SECONDS": 1,
    # Seconds a verified HTTP Basic password (external-task workers) is remembered; 0: verify each request.
    "BASIC_AUTH_CACHE_SECONDS": 60,
    # Longest a fetchAndLock waits for external tasks (its asyncResponseTimeout is capped to it).
    "EXTERNAL_TASK_MAX_WAIT_SECONDS": 60,
    # argon2 parameters: a profile name of argon2.profiles (CHEAPEST is for tests only).
    "PASSWORD_PROFILE": "RFC_9106_LOW_MEMORY",
    # Folder holding swagger-ui-dist's files (swagger-ui-bundle.js, swagger-ui.css) for /api/docs.
    # swagger-ui-dist, installed from package.json by scripts/setup-venv.
    "DOCS_ASSETS": str(Path(__file__).resolve().parent.parent / "node_modules" / "swagger-ui-dist"),
    # Level of the JSON-lines logs on stderr (request logs are INFO).
    "LOG_LEVEL": "INFO",
    # flask-smorest: the OpenAPI document at /api/v1/openapi.json.
    "API_TITLE": "diwan",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


# `diwan serve` (read from `DIWAN_*` before any app exists; api/serving.py).
SERVE_DEFAULTS = {
    # gunicorn workers.
    "WORKERS": 2,
    # Threads per worker (1: gunicorn's sync worker): a long-polling fetchAndLock of an
    # external-task client holds a thread while it waits.
    "THREADS": 8,
    # gunicorn's --timeout: a worker busy longer on one request is killed (its client gets a
    # 503). Keep it above the longest a request may take: SQLite's busy timeout (30 s) plus
    # the script time limit plus a margin.
    "REQUEST_TIMEOUT_SECONDS": 60,
}


def serve_setting(name: str):
    """A `diwan serve` setting: `DIWAN_<name>` (read as JSON when it parses), else its default."""
    raw = os.environ.get(f"DIWAN_{name}")
    if raw is None:
        return SERVE_DEFAULTS[name]
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load(app: Flask, test_config: dict | None) -> None:
    """Defaults, then `DIWAN_*` variables, then `test_config`; derived Flask settings."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("DIWAN")
    if test_config:
        app.config.update(test_config)
    app.config["MAX_CONTENT_LENGTH"] = int(float(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)
    app.config["JSON_SORT_KEYS"] = False


def secret_key(app: Flask, database_url: str) -> str:
    """`SECRET_KEY`, or one kept beside a SQLite database file, or (testing) a throwaway one.

    Raises:
        RuntimeError: no key is configured and the database is not a SQLite file.
    """
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database + ".secret")
        if not path.exists():
            write_once(path, secrets.token_hex(32).encode())
        return path.read_text().strip()
    if app.testing:
        return secrets.token_hex(32)
    raise RuntimeError("DIWAN_SECRET_KEY is required when the database is not a SQLite file")
