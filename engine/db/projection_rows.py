"""One instance's projection rows as `verify` reads them: its task rows and their candidates.

The task table has no index on the instance for ended tasks (migration 0003 keeps the
inbox's indexes to ready tasks, for the command path's sake), so the rows are read by
the ids the chain names (primary key) plus the instance's ready rows (the partial index):
a forged ready task shows, an unknown ended one is not looked for.
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .tasks import task, task_candidate

_READY = sa.text("task.state = 'ready'")  # literally the partial index's condition, so SQLite uses it
_CHUNK = 500


def tasks_of(conn: Connection, instance_id: str, task_ids: Iterable[str]) -> list[sa.Row]:
    """The instance's ready task rows and the rows of `task_ids` (whatever instance they name)."""
    rows = {r.id: r for r in conn.execute(sa.select(task).where(task.c.instance_id == instance_id, _READY))}
    for chunk in _chunks(sorted(set(task_ids) - set(rows))):
        rows.update((r.id, r) for r in conn.execute(sa.select(task).where(task.c.id.in_(chunk))))
    return list(rows.values())


def candidates_of(conn: Connection, task_ids: Iterable[str]) -> list[sa.Row]:
    """The candidate rows of these tasks (who, whether on offer, and the task's keys they copy)."""
    out: list[sa.Row] = []
    for chunk in _chunks(sorted(set(task_ids))):
        out += conn.execute(sa.select(task_candidate).where(task_candidate.c.task_id.in_(chunk))).all()
    return out


def _chunks(ids: list[str]):
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]
