"""Tasks: the inbox, a task with its form, claim, unclaim, complete."""
from __future__ import annotations

from dataclasses import asdict

from flask.views import MethodView

from engine.task_forms import bound_form

from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_access, current_engine
from ..schemas.instances import InstanceSchema
from ..schemas.tasks import CompleteSchema, TaskArgsSchema, TaskDetailSchema, TaskPageSchema, TaskSchema
from ..access_log import record_view
from .reads import require_readable_task

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="User tasks (the inbox).")


@blp.route("")
class TasksResource(MethodView):
    @requires("admin", "auditor", "clerk")
    @blp.arguments(TaskArgsSchema(), location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args):
        """List ready tasks the caller may act on, due date first then oldest

        Those assigned to the caller, or unassigned and offered to them (candidate users,
        candidate groups or the lane); admins and auditors see all. `due` (overdue, today,
        week), `q` (case-insensitive text in the business key or an applicant field:
        DIWAN_APPLICANT_FIELDS) and `sort` (due, created, -created, name) narrow and order them.
        """
        actor = current_actor()
        page = current_engine().list_tasks(
            actor.username, actor.groups, see_all=current_access().reads_all(actor),
            assigned_to_me=args["assigned_to_me"], candidate_group=args.get("candidate_group"),
            definition_key=args.get("definition_key"), instance_id=args.get("instance_id"),
            due=args.get("due"), q=args.get("q"), sort=args["sort"], page=args["page"], per_page=args["per_page"])
        return {"items": page.items, "total": page.total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/<task_id>")
class TaskResource(MethodView):
    @requires("admin", "auditor", "clerk")
    @blp.response(200, TaskDetailSchema)
    def get(self, task_id):
        """Get a task with its form (form-js schema, or null) and the variables the form starts from"""
        engine = current_engine()
        task = engine.get_task(task_id)
        require_readable_task(task)
        detail = {**asdict(task), "form": bound_form(engine.db, task.instance_id, task.form_key),
                  "data": engine.get_instance(task.instance_id).data}
        record_view(task.instance_id, "api_task")
        return detail


@blp.route("/<task_id>/claim")
class ClaimResource(MethodView):
    @requires("clerk", "admin")
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Claim a task (again by the same user: 200; claimed by another: 409)"""
        return current_engine().claim(task_id, current_actor())


@blp.route("/<task_id>/unclaim")
class UnclaimResource(MethodView):
    @requires("clerk", "admin")
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Unclaim a task (the assignee or an admin)"""
        return current_engine().unclaim(task_id, current_actor())


@blp.route("/<task_id>/complete")
class CompleteResource(MethodView):
    @requires("clerk", "admin")
    @blp.arguments(CompleteSchema())
    @blp.response(200, InstanceSchema)
    def post(self, body, task_id):
        """Complete a task with its form data; returns the instance after the engine ran on

        Invalid data: 422 with field errors, nothing changed. Already completed, claimed by
        another, not claimed by the caller (claim-to-complete, DIWAN_REQUIRE_CLAIM; admins
        excepted), or a concurrent completion won: 409. Not offered to the caller: 403.
        A filepicker field's value is the list of its attachment ids (uploaded first).
        """
        return current_engine().complete_task(task_id, body["data"], actor=current_actor())
