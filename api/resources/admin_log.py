"""The admin log (admins, auditors): what designers and admins did outside instances, hash-chained."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.drafts import AdminEventArgsSchema, AdminEventPageSchema, AdminLogVerifySchema

blp = Blueprint("admin_log", __name__, url_prefix="/api/v1/admin", description="The admin log.")


@blp.route("/events")
class AdminEventsResource(MethodView):
    @requires("admin", "auditor")
    @blp.arguments(AdminEventArgsSchema(), location="query")
    @blp.response(200, AdminEventPageSchema)
    def get(self, args):
        """List the admin log, newest first: deployments, drafts, publications, users, groups

        Each event is chained as an instance's history is (API.md), with `subject` in place of
        `instance_id`: sha256 of the canonical JSON of every field but `hash`.
        """
        page = current_engine().admin_log(subject=args.get("subject"), page=args["page"], per_page=args["per_page"])
        return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/events/verify")
class AdminLogVerifyResource(MethodView):
    @requires("admin", "auditor")
    @blp.response(200, AdminLogVerifySchema)
    def post(self):
        """Recompute the admin log's hash chain"""
        bad = current_engine().verify_admin_log()
        return {"chain_ok": bad is None, "first_bad_seq": bad}
