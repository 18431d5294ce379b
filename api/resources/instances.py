"""Instances: start (clerk, admin), read (admin, auditor, clerk as allowed), cancel/suspend/resume (admin)."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_access, current_engine
from ..schemas.instances import CancelSchema, InstanceArgsSchema, InstancePageSchema, InstanceSchema, StartSchema
from ..access_log import record_view
from .reads import require_readable

blp = Blueprint("instances", __name__, url_prefix="/api/v1", description="Process instances.")


@blp.route("/process-definitions/<key>/start")
class StartResource(MethodView):
    @requires("clerk", "admin")
    @blp.arguments(StartSchema())
    @blp.response(201, InstanceSchema)
    def post(self, body, key):
        """Start an instance of the latest version of a process

        Where the start event has a form, `data` is validated against it (422).
        """
        return current_engine().start(key, body["data"], body["business_key"], actor=current_actor())


@blp.route("/process-instances")
class InstancesResource(MethodView):
    @requires("admin", "auditor", "clerk")
    @blp.arguments(InstanceArgsSchema(), location="query")
    @blp.response(200, InstancePageSchema)
    def get(self, args):
        """List the instances the caller may read, newest first

        Admins and auditors read all; a clerk those they started, or in which a task was
        offered to one of their groups, or claimed or completed by them.
        """
        engine, access, actor = current_engine(), current_access(), current_actor()
        filters = {k: args.get(k) for k in ("definition_key", "status", "business_key", "created_from", "created_to")}
        if access.reads_all(actor):
            page = engine.list_instances(**filters, page=args["page"], per_page=args["per_page"])
            items, total = page.items, page.total
        else:
            ids, total = access.readable_page(actor, **filters, page=args["page"], per_page=args["per_page"])
            found = {i.id: i for i in engine.list_instances(ids=ids, per_page=max(len(ids), 1)).items} if ids else {}
            items = [found[i] for i in ids if i in found]
        return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/process-instances/<instance_id>")
class InstanceResource(MethodView):
    @requires("admin", "auditor", "clerk")
    @blp.response(200, InstanceSchema)
    def get(self, instance_id):
        """Get an instance: status, variables, active elements, incidents"""
        require_readable(instance_id)
        view = current_engine().get_instance(instance_id)
        record_view(instance_id, "api_instance")
        return view


@blp.route("/process-instances/<instance_id>/cancel")
class CancelResource(MethodView):
    @requires("admin")
    @blp.arguments(CancelSchema())
    @blp.response(200, InstanceSchema)
    def post(self, body, instance_id):
        """Cancel an instance (an ended one: 409)"""
        return current_engine().cancel(instance_id, body["reason"], actor=current_actor())


@blp.route("/process-instances/<instance_id>/suspend")
class SuspendResource(MethodView):
    @requires("admin")
    @blp.arguments(CancelSchema())
    @blp.response(200, InstanceSchema)
    def post(self, body, instance_id):
        """Suspend a running instance: its tasks, timers and messages wait (an ended one: 409)

        An optional body `{"reason"}` goes into the instance's history.
        """
        return current_engine().suspend(instance_id, actor=current_actor(), reason=body["reason"])


@blp.route("/process-instances/<instance_id>/resume")
class ResumeResource(MethodView):
    @requires("admin")
    @blp.arguments(CancelSchema())
    @blp.response(200, InstanceSchema)
    def post(self, body, instance_id):
        """Resume a suspended instance (an ended one: 409)

        An optional body `{"reason"}` goes into the instance's history.
        """
        return current_engine().resume(instance_id, actor=current_actor(), reason=body["reason"])
