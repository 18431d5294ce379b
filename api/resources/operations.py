"""Operations: health (open to anyone) and Prometheus metrics (with `DIWAN_METRICS_TOKEN`)."""
from __future__ import annotations

import hmac

from flask import current_app, request
from flask.views import MethodView
from marshmallow import Schema, fields

from engine import NotFound
from engine.identity import Unauthorized

from ..auth import BEARER_AUTH, bearer_token, public
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.error import ErrorSchema

blp = Blueprint("operations", __name__, description="Health and metrics.")


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok or error"})
    database = fields.String(required=True, metadata={"description": "ok, unreachable or unwritable"})
    detail = fields.String(metadata={"description": "What failed (503 only)."})


@blp.route("/healthz")
class HealthResource(MethodView):
    @public
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database is unreachable or cannot take a write.")
    def get(self):
        """Health: the app answers and its database can take a write

        A write transaction is begun and rolled back within `DIWAN_HEALTH_TIMEOUT_SECONDS`
        (SQLite: the write lock; PostgreSQL: a transaction id, on a server that is not
        read-only); a database held by a stuck writer is unhealthy.
        """
        problem = current_engine().write_problem(float(current_app.config["HEALTH_TIMEOUT_SECONDS"]))
        if problem is not None:
            database, detail = problem
            return {"status": "error", "database": database, "detail": detail}, 503
        return {"status": "ok", "database": "ok"}


@blp.route("/metrics")
class MetricsResource(MethodView):
    @blp.response(200, content_type="text/plain", description="Prometheus text format.")
    @blp.alt_response(401, schema=ErrorSchema, description="No or wrong metrics token.")
    @blp.alt_response(404, schema=ErrorSchema, description="No metrics token is configured.")
    @blp.doc(security=[{"metricsToken": []}])
    def get(self):
        """Metrics in Prometheus text format (bearer `DIWAN_METRICS_TOKEN`; none set: 404)

        Request latency by route, commands by type and outcome, timers fired, open tasks by process.
        """
        expected = current_app.config.get("METRICS_TOKEN")
        if expected in (None, ""):
            raise NotFound("Metrics are off: set DIWAN_METRICS_TOKEN to serve them.")
        sent = bearer_token(request) or ""
        if not hmac.compare_digest(sent.encode(), str(expected).encode()):
            raise Unauthorized("Metrics need the bearer token DIWAN_METRICS_TOKEN.")
        return current_app.extensions["diwan.metrics"].exposition()


METRICS_AUTH = {"metricsToken": {**BEARER_AUTH["bearerAuth"], "description": "The value of DIWAN_METRICS_TOKEN."}}
