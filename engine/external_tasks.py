"""The engine's external-task methods (a mixin of `Engine`), and the signal that wakes long polls.

External tasks are service tasks whose `camunda:topic` names no registered connector:
workers fetch and lock them, then complete them or report a failure or a BPMN error
(Camunda 7's protocol; README, "External tasks"). The writes are commands
(commands/external_tasks.py); `fetch_and_lock` may wait for tasks (long polling) without
holding a transaction: it tries, then sleeps on `external_signal` until a command of this
process creates or frees an external task, or until the next poll (another process may
have created one), and tries again.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from .commands import external_tasks as _cmds
from .commands.external_tasks import FetchAndLock, TopicRequest
from .db import external_tasks as rows_db
from .errors import NotFound
from .views import SYSTEM, Actor, ExternalTaskView, InstanceView

__all__ = ["ExternalTaskMethods", "ExternalTaskSignal", "FetchAndLock", "TopicRequest"]


class ExternalTaskSignal:
    """A generation counter under a condition: waiters sleep until it moves (or time runs out)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        """External tasks were created or freed: wake every waiting fetch."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Sleep until the generation differs from `seen`, at most `timeout` seconds; True when it moved."""
        with self._cond:
            return self._cond.wait_for(lambda: self._generation != seen, timeout)


class ExternalTaskMethods:
    """`Engine`'s external-task methods (the engine's settings, wall clock, execute)."""

    def fetch_and_lock(self, request: FetchAndLock, wait_seconds: float = 0.0) -> list[ExternalTaskView]:
        """Lock up to `request.max_tasks` tasks of its topics for its worker; with `wait_seconds`,
        wait that long at most for some to become free (long polling).

        Raises:
            InvalidData: no worker id, a topic given twice, a lock duration not above zero.
        """
        deadline = time.monotonic() + max(0.0, wait_seconds)
        poll = max(0.05, self.settings.external_task_poll_seconds)
        while True:
            seen = self.external_signal.generation
            locked = self.execute(request)
            remaining = deadline - time.monotonic()
            if locked or remaining <= 0:
                return locked
            self.external_signal.wait(seen, min(remaining, poll, self._until_next_free(request)))

    def _until_next_free(self, request: FetchAndLock) -> float:
        """Seconds until a lock (or a retry timeout) of the request's topics runs out."""
        wall = self.wall.now()
        with self.kept.transaction(write=False) as conn:
            at = rows_db.next_free(conn, [t.name for t in request.topics], wall)
        return float("inf") if at is None else max(0.0, (at - wall).total_seconds())

    def complete_external_task(self, task_id: str, worker_id: str, variables: dict[str, Any] | None = None,
                               local_variables: dict[str, Any] | None = None,
                               actor: Actor = SYSTEM) -> InstanceView:
        return self.execute(_cmds.CompleteExternalTask(actor, task_id, worker_id, variables or {},
                                                       local_variables or {}))

    def fail_external_task(self, task_id: str, worker_id: str, error_message: str | None = None, *,
                           error_details: str | None = None, retries: int = 0, retry_timeout_ms: int = 0,
                           actor: Actor = SYSTEM) -> str | None:
        """Report a failure; returns the incident's id when `retries` is 0."""
        return self.execute(_cmds.FailExternalTask(actor, task_id, worker_id, error_message, error_details,
                                                   retries, retry_timeout_ms))

    def throw_external_bpmn_error(self, task_id: str, worker_id: str, error_code: str,
                                  error_message: str | None = None, variables: dict[str, Any] | None = None,
                                  actor: Actor = SYSTEM) -> InstanceView:
        return self.execute(_cmds.ThrowExternalBpmnError(actor, task_id, worker_id, error_code, error_message,
                                                         variables or {}))

    def lock_external_task(self, task_id: str, worker_id: str, duration_ms: int, *, extend: bool = False,
                           actor: Actor = SYSTEM) -> None:
        self.execute(_cmds.LockExternalTask(actor, task_id, worker_id, duration_ms, extend))

    def unlock_external_task(self, task_id: str, actor: Actor = SYSTEM) -> None:
        self.execute(_cmds.UnlockExternalTask(actor, task_id))

    def external_task(self, task_id: str) -> ExternalTaskView:
        """Raises NotFound (no such task waits: never created, completed or cancelled)."""
        with self.kept.transaction(write=False) as conn:
            row = rows_db.get(conn, task_id)
        if row is None:
            raise NotFound(f"external task {task_id} not found")
        return _cmds.view(row)

    def external_tasks(self, *, topic: str | None = None, worker_id: str | None = None,
                       instance_id: str | None = None, element_id: str | None = None, locked: bool | None = None,
                       with_retries_left: bool | None = None, first: int = 0, limit: int = 50
                       ) -> list[ExternalTaskView]:
        """External tasks waiting for workers, oldest first (`locked`: by a lock that has not run out)."""
        with self.kept.transaction(write=False) as conn:
            rows = rows_db.page(conn, topic=topic, worker_id=worker_id, instance_id=instance_id,
                                element_id=element_id, locked=locked, with_retries_left=with_retries_left,
                                wall=self.wall.now(), first=first, limit=limit)
        return [_cmds.view(r) for r in rows]
