"""Audit: an instance as it was after an event (time travel), and verification."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import requires
from ..access_log import record_view
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.audit import (CheckpointArgsSchema, LatestCheckpointSchema, StateArgsSchema, StateSchema,
                             VerifySchema)

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Time travel and verification.")


@blp.route("/process-instances/<instance_id>/state")
class StateResource(MethodView):
    @requires("admin", "auditor")
    @blp.arguments(StateArgsSchema(), location="query")
    @blp.response(200, StateSchema)
    def get(self, args, instance_id):
        """Get an instance as it was right after event `at_seq`

        Data, status, active elements and open tasks, folded from the hash-chained history.
        """
        state = current_engine().state_at(instance_id, args["at_seq"])
        record_view(instance_id, "api_state")
        return state


@blp.route("/process-instances/<instance_id>/verify")
class VerifyResource(MethodView):
    @requires("admin", "auditor")
    @blp.response(200, VerifySchema)
    def post(self, instance_id):
        """Verify an instance: its hash chain, the latest signed checkpoint, a replay, its stored projections

        `first_bad_seq` names the first event that does not hold (edited, removed,
        inserted or moved rows; a chain that is not what the latest checkpoint signed;
        or a replay that leaves the recorded path or data). `findings` names each stored
        value (instance row, state, task, timer or subscription row) that is not what the
        chain and the replay say, with the stored and the expected value.
        """
        return current_engine().verify(instance_id)  # 404 for an unknown id


@blp.route("/audit/checkpoint")
class CheckpointResource(MethodView):
    @requires("admin", "auditor")
    @blp.arguments(CheckpointArgsSchema(), location="query")
    @blp.response(200, LatestCheckpointSchema)
    def get(self, args):
        """Get the latest signed checkpoint of every instance's chain head

        A Merkle root (RFC 6962) over every instance's (id, last seq, last hash), signed
        with Ed25519 by a key kept outside the database; the public key is the key
        file's. `leaves=true` adds the signed heads, to recompute the root.
        """
        return current_engine().latest_checkpoint(with_leaves=args["leaves"])
