"""Clerk work besides claiming and completing: reassigning a claimed task, commenting on a case."""
from __future__ import annotations

from dataclasses import dataclass

import orjson

from ..db import instances, tasks, users
from ..errors import Conflict, Forbidden, InvalidData, NotFound
from ..views import InstanceView, TaskView
from .base import Command, CommandContext, handles
from .instance_store import add_event, load, save
from .tasks import _ready_row, _reassign

SUPERVISING = ("admin", "supervisor")
MAX_COMMENT = 4000


@dataclass(frozen=True)
class ReassignTask(Command[TaskView]):
    """Hand a claimed task over to another user of the task's groups (delegation)."""

    task_id: str = ""
    to_user: str = ""


@handles(ReassignTask)
def reassign_task(cmd: ReassignTask, ctx: CommandContext) -> TaskView:
    """Reassign a claimed task: by its claimant, or by a supervisor (or admin) of its groups.

    The new assignee must be an enabled user with the clerk role who is a candidate (one of
    the task's groups, or named). Audited as `task_reassigned` (from, to).

    Raises NotFound (task), Forbidden (not the claimant nor a supervisor), Conflict (not
    claimed, ended, changed concurrently), InvalidData (`to_user` unknown, disabled or not a
    candidate).
    """
    row = _ready_row(ctx, cmd.task_id)
    actor = cmd.actor
    if row.assignee is None:
        raise Conflict("the task is not claimed: claim it, or let a candidate claim it")
    groups = set(orjson.loads(row.candidate_groups))
    supervises = actor.is_admin or ("supervisor" in actor.roles and bool(groups & set(actor.groups)))
    if row.assignee != actor.username and not supervises:
        raise Forbidden("only the task's assignee or a supervisor of its groups may reassign it")
    to = (cmd.to_user or "").strip()
    target = users.by_username(ctx.conn, to) if to else None
    if target is None or target.disabled_at is not None:
        raise InvalidData("no such user", errors={"to_user": [f"no enabled user {to!r}"]})
    roles, their_groups = users.roles_and_groups(ctx.conn, target.id)
    if "clerk" not in roles or not (groups & set(their_groups) or to in orjson.loads(row.candidate_users)):
        raise InvalidData("not a candidate", errors={"to_user": [f"{to} is not a clerk of the task's groups"]})
    if to == row.assignee:
        return ctx.engine._task_view(ctx.conn, row.id)
    return _reassign(ctx, row, actor, to, "task_reassigned", {"assignee": to, "previous_assignee": row.assignee})


@dataclass(frozen=True)
class AddComment(Command[dict]):
    """Append a comment to a case's history (append-only: a comment is an audit event)."""

    instance_id: str = ""
    text: str = ""
    task_id: str | None = None


@handles(AddComment)
def add_comment(cmd: AddComment, ctx: CommandContext) -> dict:
    """Comment on a case (optionally about one of its tasks). Returns {"seq", "text", ...}.

    Raises NotFound (instance, or a task not of it), InvalidData (empty or longer than 4000),
    Conflict (the case is closed: completed or cancelled).
    """
    text = (cmd.text or "").strip()
    if not text or len(text) > MAX_COMMENT:
        raise InvalidData("invalid comment", errors={"text": [f"between 1 and {MAX_COMMENT} characters"]})
    head = instances.head(ctx.conn, cmd.instance_id)
    if head is None:
        raise NotFound(f"instance {cmd.instance_id} not found")
    if head.status in ("completed", "cancelled"):
        raise Conflict(f"the case is {head.status}: it takes no more comments")
    element_id = None
    if cmd.task_id:
        task = tasks.with_instance(ctx.conn, cmd.task_id)
        if task is None or task.instance_id != cmd.instance_id:
            raise NotFound(f"task {cmd.task_id} not found in this instance")
        element_id = task.element_id
    loaded = load(ctx, cmd.instance_id, head)
    add_event(loaded, "comment_added", cmd.actor.username, element_id=element_id, task_id=cmd.task_id,
              payload={"text": text})
    values = save(ctx, loaded, status=head.status)
    return {"seq": values["last_seq"], "text": text, "actor": cmd.actor.username, "task_id": cmd.task_id,
            "at": ctx.now}
