"""diwan's HTTP layer: the Flask app factory (the REST API and pages grow here)."""
from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify

from engine import DiwanError, Engine, EngineSettings


def create_app(test_config: dict[str, Any] | None = None, engine: Engine | None = None) -> Flask:
    """Build the app: defaults, then `DIWAN_*` variables, then `test_config`."""
    app = Flask(__name__)
    app.config.from_mapping(DATABASE_URL=os.environ.get("DIWAN_DATABASE_URL", "sqlite:///diwan.db"))
    app.config.from_prefixed_env("DIWAN")
    if test_config:
        app.config.update(test_config)
    app.extensions["diwan"] = engine or Engine(settings=EngineSettings.from_env(
        database_url=app.config["DATABASE_URL"]))

    @app.errorhandler(DiwanError)
    def _diwan_error(exc: DiwanError):
        status = {"not_found": 404, "forbidden": 403, "conflict": 409}.get(exc.code, 422)
        return jsonify(exc.to_dict()), status

    @app.get("/healthz")
    def healthz():
        """Liveness and database reachability."""
        try:
            current_engine().ping()
        except Exception:
            return jsonify({"status": "error", "database": "unreachable"}), 503
        return jsonify({"status": "ok", "database": "ok"})

    @app.get("/api/v1/process-definitions")
    def process_definitions():
        """Latest version of each deployed process."""
        return jsonify([d.to_dict() for d in current_engine().list_definitions()])

    return app


def current_engine() -> Engine:
    from flask import current_app

    return current_app.extensions["diwan"]
