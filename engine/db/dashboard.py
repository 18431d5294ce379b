"""The SLA dashboard's reads: instance volumes, completed task durations, overdue ready tasks."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .instances import instance
from .tasks import task


def volumes(conn: Connection, since: datetime | None = None) -> list[sa.Row]:
    """(definition_key, status, n) over instances created since `since` (all without)."""
    query = sa.select(instance.c.definition_key, instance.c.status, sa.func.count().label("n"))
    if since is not None:
        query = query.where(instance.c.created_at >= since)
    return list(conn.execute(query.group_by(instance.c.definition_key, instance.c.status)).all())


def completed_tasks(conn: Connection, since: datetime | None = None) -> list[sa.Row]:
    """(definition_key, element_id, name, created_at, completed_at) of completed user tasks."""
    query = sa.select(task.c.definition_key, task.c.element_id, task.c.name, task.c.created_at,
                      task.c.completed_at).where(task.c.state == "completed", task.c.completed_at.is_not(None))
    if since is not None:
        query = query.where(task.c.completed_at >= since)
    return list(conn.execute(query).all())


def overdue_tasks(conn: Connection, now: datetime) -> list[sa.Row]:
    """Ready tasks due before `now`, with their candidate groups and their instance's variables."""
    query = (sa.select(task.c.id, task.c.definition_key, task.c.element_id, task.c.name, task.c.due_at,
                       task.c.candidate_groups, instance.c.business_key, instance.c.data)
             .join(instance, instance.c.id == task.c.instance_id)
             .where(task.c.state == "ready", task.c.due_at < now))
    return list(conn.execute(query).all())
