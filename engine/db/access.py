"""Read-authorization queries: which instances a clerk may read (API.md, "Who reads instances")."""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .audit_events import audit_event
from .instances import instance
from .tasks import task, task_candidate

WORKED_ON = ("task_claimed", "task_completed")
# The events that say a user worked on an instance, as SQL text: a partial index is used
# only by a query whose condition names the same literal values.
_WORKED_ON_SQL = sa.text("audit_event.type IN ({})".format(", ".join(f"'{t}'" for t in WORKED_ON)))

# "Instances where this user claimed or completed a task" reads the audit log by actor.
# Only those two event types are indexed (migration 0003): the others, most of the log,
# cost no index entry when a command appends them.
ix_audit_event_actor = sa.Index("ix_audit_event_actor", audit_event.c.actor, audit_event.c.type,
                                sqlite_where=_WORKED_ON_SQL, postgresql_where=_WORKED_ON_SQL)


def clerk_may_read(username: str, groups: Iterable[str]) -> sa.ColumnElement[bool]:
    """The condition on `instance` rows a clerk may read.

    Those they started, those with a task offered to one of their groups or to them by
    name or assigned to them, and those where they claimed or completed a task.
    """
    groups = list(groups)
    offered = sa.select(task.c.instance_id).join(task_candidate, task_candidate.c.task_id == task.c.id).where(
        sa.or_(sa.and_(task_candidate.c.kind == "user", task_candidate.c.name == username),
               sa.and_(task_candidate.c.kind == "group", task_candidate.c.name.in_(groups or [""]))))
    assigned = sa.select(task.c.instance_id).where(task.c.assignee == username)
    worked = sa.select(audit_event.c.instance_id).where(audit_event.c.actor == username, _WORKED_ON_SQL)
    return sa.or_(instance.c.started_by == username, instance.c.id.in_(offered), instance.c.id.in_(assigned),
                  instance.c.id.in_(worked))


def exists(conn: Connection, instance_id: str, condition: sa.ColumnElement[bool] | None = None) -> bool:
    """Whether the instance exists (and meets `condition`)."""
    stmt = sa.select(instance.c.id).where(instance.c.id == instance_id)
    if condition is not None:
        stmt = stmt.where(condition)
    return conn.execute(stmt).first() is not None


def page_ids(conn: Connection, condition: sa.ColumnElement[bool], *, page: int = 1, per_page: int = 50,
             **search) -> tuple[list[str], int]:
    """Ids of the instances meeting `condition` and the search, newest first, and their total."""
    from .instances import filters

    cond = [condition, *filters(**search)]
    total = conn.execute(sa.select(sa.func.count()).select_from(instance).where(*cond)).scalar_one()
    ids = conn.execute(sa.select(instance.c.id).where(*cond)
                       .order_by(instance.c.created_at.desc(), instance.c.id.desc())
                       .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return list(ids), total
