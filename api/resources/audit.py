"""Audit: an instance as it was after an event (time travel), and verification."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.audit import StateArgsSchema, StateSchema, VerifySchema

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Time travel and verification.")


@blp.route("/process-instances/<instance_id>/state")
class StateResource(MethodView):
    @requires("admin", "auditor")
    @blp.arguments(StateArgsSchema, location="query")
    @blp.response(200, StateSchema)
    def get(self, args, instance_id):
        """Get an instance as it was right after event `at_seq`

        Data, status, active elements and open tasks, folded from the hash-chained history.
        """
        return current_engine().state_at(instance_id, args["at_seq"])


@blp.route("/process-instances/<instance_id>/verify")
class VerifyResource(MethodView):
    @requires("admin", "auditor")
    @blp.response(200, VerifySchema)
    def post(self, instance_id):
        """Verify an instance: recompute its hash chain, then replay its recorded inputs

        `first_bad_seq` names the first event that does not hold (edited, removed,
        inserted or moved rows; or a replay that leaves the recorded path or data).
        """
        engine = current_engine()
        engine.get_instance(instance_id)  # 404 for an unknown id
        return engine.verify(instance_id)
