"""Clerk work: reassign a task, comment on a case, upload and download attachments, the access log."""
from __future__ import annotations

from dataclasses import asdict

from flask import Response
from flask.views import MethodView

from ..access_log import record_view
from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.clerk_work import (AccessLogArgsSchema, AccessLogPageSchema, AttachmentListSchema, AttachmentSchema,
                                  CommentBodySchema, CommentListSchema, CommentSchema, ReassignSchema,
                                  UploadArgsSchema, UploadFieldSchema)
from ..schemas.tasks import TaskSchema
from .reads import require_readable

blp = Blueprint("clerk_work", __name__, url_prefix="/api/v1",
                description="Reassignment, comments, attachments and the access log.")

WORKERS = ("clerk", "admin", "supervisor")


@blp.route("/tasks/<task_id>/reassign")
class ReassignResource(MethodView):
    @requires(*WORKERS)
    @blp.arguments(ReassignSchema())
    @blp.response(200, TaskSchema)
    def post(self, body, task_id):
        """Reassign a claimed task to another clerk of its groups (delegation)

        By the task's assignee, or by a supervisor of one of its groups (or an admin).
        Not claimed, ended or changed meanwhile: 409; `to_user` not a clerk of the
        task's groups: 422. Recorded as `task_reassigned` in the history.
        """
        return current_engine().reassign(task_id, body["to_user"], current_actor())


def _comment(event) -> dict:
    return {"seq": event.seq, "at": event.at, "actor": event.actor, "text": event.payload.get("text"),
            "task_id": event.task_id, "element_id": event.element_id}


@blp.route("/process-instances/<instance_id>/comments")
class CommentsResource(MethodView):
    @requires("admin", "auditor", "clerk", "supervisor")
    @blp.response(200, CommentListSchema)
    def get(self, instance_id):
        """List a case's comments, oldest first"""
        require_readable(instance_id)
        return {"items": [_comment(e) for e in current_engine().comments(instance_id)]}

    @requires(*WORKERS)
    @blp.arguments(CommentBodySchema())
    @blp.response(201, CommentSchema)
    def post(self, body, instance_id):
        """Comment on a case (append-only: the comment is an event of its hash-chained history)

        `task_id` ties it to one of the case's tasks. A closed case: 409.
        """
        require_readable(instance_id)
        engine = current_engine()
        made = engine.add_comment(instance_id, body["text"], current_actor(), task_id=body.get("task_id"))
        [event] = [e for e in engine.history(instance_id, types=["comment_added"]) if e.seq == made["seq"]]
        return _comment(event)


@blp.route("/tasks/<task_id>/attachments")
class UploadResource(MethodView):
    @requires("clerk", "admin")
    @blp.arguments(UploadFieldSchema(), location="form")
    @blp.arguments(UploadArgsSchema(), location="files")
    @blp.response(201, AttachmentSchema)
    def post(self, form, files, task_id):
        """Upload a file for a filepicker field of a ready task: multipart/form-data `field` and `file`

        The form's value for the field is then the list of the returned ids. Limits: the
        size (DIWAN_MAX_ATTACHMENT bytes), the field's `accept` (else DIWAN_ATTACHMENT_TYPES)
        checked against the content, and the scanning hook (422 naming `file`).
        """
        upload = files["file"]
        return current_engine().add_attachment(task_id, form["field"], upload.filename or "", upload.read(),
                                               current_actor())


@blp.route("/process-instances/<instance_id>/attachments")
class AttachmentsResource(MethodView):
    @requires("admin", "auditor", "clerk", "supervisor")
    @blp.response(200, AttachmentListSchema)
    def get(self, instance_id):
        """List the files uploaded for a case's tasks"""
        require_readable(instance_id)
        return {"items": [asdict(a) for a in current_engine().attachments_of(instance_id)]}


@blp.route("/attachments/<attachment_id>")
class AttachmentResource(MethodView):
    @requires("admin", "auditor", "clerk", "supervisor")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, attachment_id):
        """Download a file (for those who may read its case); recorded in the access log"""
        return attachment_response(attachment_id)


def attachment_response(attachment_id: str) -> Response:
    """The file as a download, after the read check, recorded in the access log (API and page)."""
    engine = current_engine()
    found = engine.attachment(attachment_id)
    require_readable(found.instance_id)
    content = engine.attachment_content(attachment_id)
    record_view(found.instance_id, "attachment")
    quoted = found.filename.replace('"', "'").encode("ascii", "replace").decode()
    return Response(content, mimetype=found.content_type, headers={
        "Content-Disposition": f'attachment; filename="{quoted}"; filename*=UTF-8\'\'{_rfc5987(found.filename)}',
        "X-Content-Type-Options": "nosniff"})


def _rfc5987(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@blp.route("/access-log")
class AccessLogResource(MethodView):
    @requires("admin", "auditor")
    @blp.arguments(AccessLogArgsSchema(), location="query")
    @blp.response(200, AccessLogPageSchema)
    def get(self, args):
        """Who viewed which case's personal data, newest first (case and task pages, history, API reads)"""
        items, total = current_engine().access_log(
            instance_id=args.get("instance_id"), actor=args.get("actor"), since=args.get("since"),
            until=args.get("until"), page=args["page"], per_page=args["per_page"])
        return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}
