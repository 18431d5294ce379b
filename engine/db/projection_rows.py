"""One instance's projection rows as `verify` reads them: every task row (ended ones
included) and its candidate rows."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .tasks import task, task_candidate


def tasks_of(conn: Connection, instance_id: str) -> list[sa.Row]:
    return list(conn.execute(sa.select(task).where(task.c.instance_id == instance_id)))


def candidates_of(conn: Connection, instance_id: str) -> list[sa.Row]:
    """(task_id, kind, name) of every task of the instance."""
    return list(conn.execute(
        sa.select(task_candidate.c.task_id, task_candidate.c.kind, task_candidate.c.name)
        .where(task_candidate.c.task_id.in_(sa.select(task.c.id).where(task.c.instance_id == instance_id)))))
