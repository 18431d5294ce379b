"""Task commands: claim, unclaim, complete."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState

from ..attachments import referenced
from ..db import tasks
from ..errors import Conflict, Forbidden, NotFound
from ..views import InstanceView, TaskView
from .base import Command, CommandContext, handles
from .inputs import checked_data
from .instance_store import Head, add_event, json_safe, load, save


def _ready_row(ctx: CommandContext, task_id: str):
    """The task row with its instance's head (one statement, one snapshot)."""
    row = tasks.with_instance(ctx.conn, task_id)
    if row is None:
        raise NotFound(f"task {task_id} not found")
    if row.state != "ready":
        raise Conflict(f"the task is already {row.state}")
    return row


def _require_offered(row, actor) -> None:
    if actor.is_admin:
        return
    if row.assignee is not None and row.assignee != actor.username:
        raise Conflict(f"the task is claimed by {row.assignee}")
    if not tasks.may_act(row, actor.username, actor.groups):
        raise Forbidden("this task is not offered to you")


@dataclass(frozen=True)
class ClaimTask(Command[TaskView]):
    """Assign a ready task to the acting user."""

    task_id: str = ""


@handles(ClaimTask)
def claim_task(cmd: ClaimTask, ctx: CommandContext) -> TaskView:
    """Claim a task. Again by the same user: no change. Raises NotFound, Forbidden, Conflict."""
    row = _ready_row(ctx, cmd.task_id)
    if row.assignee == cmd.actor.username:
        return ctx.engine._task_view(ctx.conn, cmd.task_id)
    if row.assignee is not None:
        raise Conflict(f"the task is claimed by {row.assignee}")
    _require_offered(row, cmd.actor)
    return _reassign(ctx, row, cmd.actor, cmd.actor.username, "task_claimed", {"assignee": cmd.actor.username})


@dataclass(frozen=True)
class UnclaimTask(Command[TaskView]):
    """Give a claimed task back to its candidates."""

    task_id: str = ""


@handles(UnclaimTask)
def unclaim_task(cmd: UnclaimTask, ctx: CommandContext) -> TaskView:
    """Unclaim (the assignee or an admin; an unclaimed task: no change, for those it is offered
    to or an admin). Raises NotFound, Forbidden, Conflict."""
    row = _ready_row(ctx, cmd.task_id)
    actor = cmd.actor
    if row.assignee is None:  # nothing to give back: still only for those it is offered to
        if not (actor.is_admin or tasks.may_act(row, actor.username, actor.groups)):
            raise Forbidden("only the assignee or an admin may unclaim this task")
        return ctx.engine._task_view(ctx.conn, cmd.task_id)
    if row.assignee != actor.username and not actor.is_admin:
        raise Forbidden("only the assignee or an admin may unclaim this task")
    return _reassign(ctx, row, cmd.actor, None, "task_unclaimed", {"previous_assignee": row.assignee})


def _reassign(ctx: CommandContext, row, actor, assignee: str | None, event: str, payload: dict) -> TaskView:
    """Set the task's assignee (None: unassigned) if nobody changed it meanwhile, with its audit event."""
    loaded = load(ctx, row.instance_id, Head(row))
    _require_running(loaded)
    if not tasks.set_assignee(ctx.conn, row.id, row.assignee, assignee, ctx.now if assignee else None):
        raise Conflict("the task was claimed, unclaimed or ended by a concurrent command")
    add_event(loaded, event, actor.username, element_id=row.element_id, task_id=row.id, payload=payload)
    save(ctx, loaded)
    return ctx.engine._task_view(ctx.conn, row.id)


@dataclass(frozen=True)
class CompleteTask(Command[InstanceView]):
    """Complete a ready user task with form data and run the instance on."""

    task_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@handles(CompleteTask)
def complete_task(cmd: CompleteTask, ctx: CommandContext) -> InstanceView:
    """Complete a task.

    A task without a form takes any object of the value domain as variables.

    Raises NotFound, Forbidden (not offered to the actor), InvalidData (a value outside the
    value domain, the form's rules),
    Conflict (done, claimed by another, not claimed by the actor (claim-to-complete; admins
    excepted), concurrent change), ScriptError (a step failed).
    """
    engine = ctx.engine
    row = _ready_row(ctx, cmd.task_id)
    _require_offered(row, cmd.actor)
    if engine.settings.require_claim:
        _require_claimed(row, cmd.actor)
    submitted = checked_data(cmd.data, engine.value_limits)
    loaded = load(ctx, row.instance_id, Head(row))
    _require_running(loaded)
    validator = engine._form_validator(ctx.conn, loaded.bindings, row.form_key) if row.form_key else None
    data = validator.validate(submitted) if validator else submitted
    data, attached = referenced(ctx.conn, validator, row, data)  # filepicker values: attachment ids
    task = loaded.run.task(row.id)
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise Conflict("the task is no longer ready")
    payload = {"data": json_safe(data)}
    if attached:  # id, name, type, size, sha256 of each file: the chain vouches for the bytes
        payload["attachments"] = attached
    add_event(loaded, "task_completed", cmd.actor.username, element_id=row.element_id, task_id=row.id,
              payload=payload)
    changes, deleted = engine._run_step(lambda: loaded.run.complete_user_task(task, data))
    loaded.events[-1]["payload"]["changes"] = json_safe(changes)
    if deleted:
        loaded.events[-1]["payload"]["deleted"] = deleted
    values = save(ctx, loaded, completed_task=(row.id, cmd.actor.username))
    return engine._saved_view(loaded.row, values)


def _require_claimed(row, actor) -> None:
    """A clerk completes only a task they hold (claim-to-complete); admins act for anyone."""
    if actor.is_admin or row.assignee == actor.username:
        return
    raise Conflict("claim the task before completing it: it is not assigned to you")


def _require_running(loaded) -> None:
    if loaded.row.status != "running":
        raise Conflict(f"the instance is {loaded.row.status}")
