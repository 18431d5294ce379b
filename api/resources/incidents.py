"""Incidents: failures nobody waited for (timer firings, outbox deliveries), and their retry."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.audit import IncidentArgsSchema, IncidentPageSchema
from ..schemas.instances import InstanceSchema

blp = Blueprint("incidents", __name__, url_prefix="/api/v1", description="Incidents (admin).")


@blp.route("/incidents")
class IncidentsResource(MethodView):
    @requires("admin")
    @blp.arguments(IncidentArgsSchema(), location="query")
    @blp.response(200, IncidentPageSchema)
    def get(self, args):
        """List the open incidents, oldest first"""
        page = current_engine().incidents(page=args["page"], per_page=args["per_page"])
        return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/incidents/<incident_id>/retry")
class RetryResource(MethodView):
    @requires("admin")
    @blp.response(200, InstanceSchema)
    def post(self, incident_id):
        """Retry the work behind an incident (once its cause is fixed); the instance runs again"""
        return current_engine().retry_incident(incident_id, actor=current_actor())
