"""History: the hash-chained events of an instance, as JSON or CSV."""
from __future__ import annotations

import csv
import io

import orjson
from flask import Response
from flask.views import MethodView

from engine import Forbidden

from ..auth import has_role, requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.history import EventSchema, HistoryArgsSchema, HistorySchema
from ..access_log import record_view
from .reads import require_readable

blp = Blueprint("history", __name__, url_prefix="/api/v1", description="Audit history of instances.")

CSV_COLUMNS = ("seq", "at", "type", "actor", "element_id", "task_id", "payload", "prev_hash", "hash")


@blp.route("/process-instances/<instance_id>/history")
class HistoryResource(MethodView):
    @requires("admin", "auditor", "clerk")
    @blp.arguments(HistoryArgsSchema(), location="query")
    @blp.response(200, HistorySchema)
    def get(self, args, instance_id):
        """Get an instance's history: its events in order, hash-chained

        `?format=csv` exports the same rows as CSV (auditor, admin); `payload` is then
        the canonical JSON (sorted keys). `type` (repeatable), `actor`, `since` and `until`
        filter the events (a filtered list keeps each event's hashes, but its chain has gaps).
        """
        if args["format"] == "csv" and not has_role("admin", "auditor"):
            raise Forbidden("The CSV export is for auditors and admins.")
        require_readable(instance_id)
        events = current_engine().history(instance_id, types=args["type"], actor=args["actor"], since=args["since"],
                                          until=args["until"])
        record_view(instance_id, "api_history")
        if args["format"] == "csv":
            return _csv(instance_id, events)
        return {"events": events}


def _csv(instance_id: str, events) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in EventSchema(many=True).dump(events):
        row["payload"] = orjson.dumps(row["payload"], option=orjson.OPT_SORT_KEYS).decode()
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="history-{instance_id}.csv"'})
