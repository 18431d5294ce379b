"""The engine's methods for clerk work besides the inbox: delegation, comments, the access log
(a mixin of `Engine`)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .commands import clerk_work as _clerk_cmds
from .db import access_log
from .views import Actor, EventView, TaskView

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

# What a reader looked at (the access log's `view`).
VIEWS = ("case_page", "task_page", "history_page", "api_instance", "api_task", "api_history", "api_state",
         "attachment")


class ClerkWorkMethods:
    """Reassign, comment, and record who viewed a case's personal data."""

    def reassign(self: "Engine", task_id: str, to_user: str, actor: Actor) -> TaskView:
        """Hand a claimed task to another candidate (its claimant, or a supervisor of its groups)."""
        return self.execute(_clerk_cmds.ReassignTask(actor, task_id, to_user))

    def add_comment(self: "Engine", instance_id: str, text: str, actor: Actor, task_id: str | None = None) -> dict:
        """Append a comment to a case's hash-chained history."""
        return self.execute(_clerk_cmds.AddComment(actor, instance_id, text, task_id))

    def comments(self: "Engine", instance_id: str) -> list[EventView]:
        """A case's comments, oldest first (its `comment_added` events)."""
        return self.history(instance_id, types=["comment_added"])

    def log_access(self: "Engine", actor: Actor, instance_id: str, view: str, address: str | None = None) -> None:
        """Record that `actor` viewed the case's personal data (append-only)."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}")
        with self.kept.transaction(write=True) as conn:
            # Real time, as tokens and leases count it: a manual engine clock (demos) does not date accesses.
            access_log.insert(conn, at=self.wall.now(), actor=actor.username, instance_id=instance_id, view=view,
                              address=(address or None) and address[:64])

    def access_log(self: "Engine", *, instance_id: str | None = None, actor: str | None = None,
                   since: datetime | None = None, until: datetime | None = None, page: int = 1,
                   per_page: int = 50) -> tuple[list[dict], int]:
        """Access log rows, newest first, and their total."""
        from .engine import _utc

        with self.kept.transaction(write=False) as conn:
            rows, total = access_log.page(conn, instance_id=instance_id, actor=actor, since=since, until=until,
                                          page=page, per_page=per_page)
        return [{"id": r.id, "at": _utc(r.at), "actor": r.actor, "instance_id": r.instance_id, "view": r.view,
                 "address": r.address} for r in rows], total
