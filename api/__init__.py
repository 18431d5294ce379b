"""diwan's HTTP layer: the Flask app factory (REST API v1, operations, the web pages in api/web)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import Engine, EngineSettings
from engine.access import InstanceAccess
from engine.identity import UserStore, password_hasher

from . import auth, config, docs, metrics, request_log, resources, web
from .errors import error_response
from .resources import operations
from .extensions import DiwanApi, current_engine

__all__ = ["create_app", "current_engine"]


def create_app(test_config: dict[str, Any] | None = None, engine: Engine | None = None) -> Flask:
    """Build the app: defaults, then `DIWAN_*` variables, then `test_config`.

    Args:
        test_config: configuration overriding the environment (see api/config.py).
        engine: the engine to serve (default: one built from the configuration).
    """
    app = Flask(__name__)
    config.load(app, test_config)
    engine = engine or Engine(settings=EngineSettings.from_env(database_url=app.config["DATABASE_URL"]))
    app.secret_key = config.secret_key(app, engine.settings.database_url)
    app.extensions["diwan"] = engine
    app.extensions["diwan.users"] = UserStore(
        engine.db, token_ttl=timedelta(hours=float(app.config["TOKEN_TTL_HOURS"])),
        max_failures=int(app.config["LOGIN_MAX_FAILURES"]),
        max_address_failures=int(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
        failure_window=timedelta(seconds=float(app.config["LOGIN_WINDOW_SECONDS"])),
        hasher=password_hasher(app.config["PASSWORD_PROFILE"]), kept=engine.kept,
        cache=engine.token_cache)
    app.extensions["diwan.access"] = InstanceAccess(engine.db)

    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:  # the client is the address the outermost trusted proxy saw
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)

    request_log.register(app)
    metrics.register(app, engine)
    auth.register(app)
    app.before_request(_refuse_nul)

    api = DiwanApi(app, spec_kwargs={"info": {"description": "diwan's REST API v1 (see API.md)."}})
    api.spec.components.security_scheme("bearerAuth", auth.BEARER_AUTH["bearerAuth"])
    api.spec.components.security_scheme("metricsToken", operations.METRICS_AUTH["metricsToken"])
    resources.register(api, manual_clock=hasattr(engine.clock, "set"))
    docs.register(app)
    web.register(app)
    return app


def _refuse_nul():
    """NUL characters reach no database: refuse them in the path and query up front."""
    query = request.environ.get("QUERY_STRING", "")
    suspect = "%00" in query or "\x00" in query  # a NUL in the arguments came as one of these
    if "\x00" in request.path or (suspect and any("\x00" in k or "\x00" in v
                                                  for k, v in request.args.items(multi=True))):
        return error_response(400, "bad_request", "NUL characters are not allowed in the path or query.")
    return None
