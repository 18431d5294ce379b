"""Operations: health and Prometheus metrics (open to anyone)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from ..auth import public
from ..blueprint import Blueprint
from ..extensions import current_engine

blp = Blueprint("operations", __name__, description="Health and metrics.")


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


@blp.route("/healthz")
class HealthResource(MethodView):
    @public
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database is unreachable.")
    def get(self):
        """Health: the app answers and reaches its database"""
        try:
            current_engine().ping()
        except Exception:
            return {"status": "error", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}


@blp.route("/metrics")
class MetricsResource(MethodView):
    @public
    @blp.response(200, content_type="text/plain", description="Prometheus text format.")
    def get(self):
        """Metrics in Prometheus text format

        Request latency by route, commands by type and outcome, timers fired, open tasks by process.
        """
        return current_app.extensions["diwan.metrics"].exposition()
