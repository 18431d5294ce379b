"""Read checks shared by the instance, task and history resources (API.md, "Who reads instances")."""
from __future__ import annotations

from engine import Forbidden, NotFound, TaskView

from ..auth import current_actor
from ..extensions import current_access


def require_readable(instance_id: str) -> None:
    """403 when the caller may not read the instance; 404 when a clerk asks for an unknown one."""
    actor, access = current_actor(), current_access()
    if access.may_read(actor, instance_id):
        return
    if "clerk" in actor.roles and not access.exists(instance_id):
        raise NotFound(f"instance {instance_id} not found")
    raise Forbidden("You may not read this instance.")


def require_readable_task(task: TaskView) -> None:
    """A task is readable with its instance, or when it is offered to the caller."""
    actor = current_actor()
    offered = task.assignee == actor.username or actor.username in task.candidate_users or bool(
        set(task.candidate_groups) & set(actor.groups))
    if not (offered and "clerk" in actor.roles):
        require_readable(task.instance_id)
