"""The SLA dashboard (supervisor, admin): JSON, CSV or XLSX."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ..auth import requires
from ..blueprint import Blueprint
from ..dashboard_export import to_csv, to_xlsx
from ..extensions import current_engine

blp = Blueprint("dashboard", __name__, url_prefix="/api/v1", description="SLA dashboard.")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DashboardArgsSchema(Schema):
    since = fields.DateTime(metadata={"description": "Only instances created / tasks completed since then."})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


@blp.route("/dashboard/sla")
class SlaResource(MethodView):
    @requires("supervisor", "admin")
    @blp.arguments(DashboardArgsSchema(), location="query")
    @blp.response(200)
    def get(self, args):
        """Get the SLA dashboard: volumes per process, cycle time per step, overdue tasks

        `?format=csv` (semicolons, UTF-8 with BOM) or `?format=xlsx` download the same figures.
        Cycle time: median and 90th percentile (nearest rank) of the completed user tasks'
        durations from ready to completed, in hours. Overdue tasks are grouped by candidate
        group and by the `consulate` variable (DIWAN_CONSULATE_FIELD).
        """
        return dashboard_response(args["format"], args.get("since"))


def dashboard_response(fmt: str, since=None):
    """The dashboard as JSON data, or a CSV / XLSX download (API and page)."""
    board = current_engine().sla_dashboard(since=since)
    if fmt == "csv":
        return Response(to_csv(board), mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="tableau-de-bord-sla.csv"'})
    if fmt == "xlsx":
        return Response(to_xlsx(board), mimetype=XLSX, headers={
            "Content-Disposition": 'attachment; filename="tableau-de-bord-sla.xlsx"'})
    return _iso(board)


def _iso(value):
    """Datetimes as ISO 8601 (as the other routes give them)."""
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value
