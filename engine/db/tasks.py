"""Tables `task` (the inbox: one row per user task) and `task_candidate`, and the inbox queries."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, JsonText, Timestamp, metadata

task = sa.Table(
    "task",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), nullable=False),
    sa.Column("definition_key", sa.String(255), nullable=False),
    sa.Column("element_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(500)),
    sa.Column("documentation", sa.Text),
    sa.Column("lane", sa.String(255)),
    sa.Column("candidate_groups", JsonText, nullable=False),
    sa.Column("candidate_users", JsonText, nullable=False),
    sa.Column("assignee", sa.String(150)),
    sa.Column("form_key", sa.String(255)),
    sa.Column("priority", sa.Integer),
    sa.Column("due_at", Timestamp),
    sa.Column("state", sa.String(10), nullable=False),  # ready | completed | cancelled
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("claimed_at", Timestamp),
    sa.Column("completed_at", Timestamp),
    sa.Column("completed_by", sa.String(150)),
    sa.Index("ix_task_state_assignee", "state", "assignee"),
    sa.Index("ix_task_state_due", "state", "due_at"),
    sa.Index("ix_task_instance", "instance_id", "state"),
)

# One row per (task, candidate): indexed lookups of "my groups' tasks" without JSON scans.
task_candidate = sa.Table(
    "task_candidate",
    metadata,
    sa.Column("task_id", Id, sa.ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(5), primary_key=True),  # group | user
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Index("ix_task_candidate_kind_name", "kind", "name"),
)

INSERT_TASK = sa.insert(task)
INSERT_CANDIDATE = sa.insert(task_candidate)
END_TASK = (
    sa.update(task)
    .where(task.c.id == sa.bindparam("b_id"), task.c.state == "ready")
    .values(state=sa.bindparam("state"), completed_at=sa.bindparam("completed_at"),
            completed_by=sa.bindparam("completed_by"))
)
_ASSIGN = sa.update(task).values(assignee=sa.bindparam("assignee"), claimed_at=sa.bindparam("claimed_at"))
CLAIM = _ASSIGN.where(task.c.id == sa.bindparam("b_id"), task.c.state == "ready", task.c.assignee.is_(None))
REASSIGN = _ASSIGN.where(task.c.id == sa.bindparam("b_id"), task.c.state == "ready",
                         task.c.assignee == sa.bindparam("b_previous"))


SELECT_ONE = sa.select(task).where(task.c.id == sa.bindparam("id"))


def _with_instance():
    from .instances import instance

    head = [c.label(f"inst__{c.name}") for c in instance.c if c.name not in ("state", "data", "active_elements")]
    return sa.select(task, *head).join(instance, instance.c.id == task.c.instance_id).where(
        task.c.id == sa.bindparam("id"))


# A task and its instance's head in one statement: one snapshot, so a concurrent change
# to either shows in the instance version, which the versioned write then checks.
SELECT_WITH_INSTANCE = _with_instance()


def get(conn: Connection, task_id: str) -> sa.Row | None:
    return conn.execute(SELECT_ONE, {"id": task_id}).first()


def with_instance(conn: Connection, task_id: str) -> sa.Row | None:
    return conn.execute(SELECT_WITH_INSTANCE, {"id": task_id}).first()


def insert_many(conn: Connection, rows: list[dict], candidates: list[dict]) -> None:
    if rows:
        conn.execute(INSERT_TASK, rows)
    if candidates:
        conn.execute(INSERT_CANDIDATE, candidates)


def end_many(conn: Connection, ended: Iterable[tuple[str, str, datetime, str | None]]) -> int:
    """Mark ready tasks completed or cancelled: (task id, state, when, by whom).

    Returns how many were still ready (a concurrent command may have ended one first).
    """
    params = [{"b_id": i, "state": s, "completed_at": at, "completed_by": by} for i, s, at, by in ended]
    if not params:
        return 0
    return conn.execute(END_TASK, params).rowcount


def set_assignee(conn: Connection, task_id: str, previous: str | None, assignee: str | None,
                 at: datetime | None) -> bool:
    """Change the assignee if it still is `previous` and the task is ready; False otherwise."""
    params = {"b_id": task_id, "assignee": assignee, "claimed_at": at}
    if previous is None:
        result = conn.execute(CLAIM, params)
    else:
        result = conn.execute(REASSIGN, {**params, "b_previous": previous})
    return result.rowcount == 1


def _inbox_statement(flags: tuple[bool, ...]) -> sa.Select:
    """The inbox query for one combination of filters, built once (SQLAlchemy caches its SQL)."""
    assigned_to_me, see_all, by_group, by_key, by_instance, overdue = flags
    cond = [task.c.state == "ready"]
    if assigned_to_me:
        cond.append(task.c.assignee == sa.bindparam("user"))
    elif not see_all:
        offered = sa.select(task_candidate.c.task_id).where(sa.or_(
            sa.and_(task_candidate.c.kind == "user", task_candidate.c.name == sa.bindparam("user")),
            sa.and_(task_candidate.c.kind == "group",
                    task_candidate.c.name.in_(sa.bindparam("groups", expanding=True)))))
        cond.append(sa.or_(task.c.assignee == sa.bindparam("user"),
                           sa.and_(task.c.assignee.is_(None), task.c.id.in_(offered))))
    if by_group:
        cond.append(task.c.id.in_(sa.select(task_candidate.c.task_id).where(
            task_candidate.c.kind == "group", task_candidate.c.name == sa.bindparam("candidate_group"))))
    if by_key:
        cond.append(task.c.definition_key == sa.bindparam("definition_key"))
    if by_instance:
        cond.append(task.c.instance_id == sa.bindparam("instance_id"))
    if overdue:
        cond.append(task.c.due_at < sa.bindparam("overdue_at"))
    # The total rides along with each row (one round trip instead of two).
    return (sa.select(task, sa.func.count().over().label("total")).where(*cond)
            .order_by(task.c.due_at.is_(None), task.c.due_at, task.c.created_at, task.c.id)
            .limit(sa.bindparam("limit")).offset(sa.bindparam("offset")))


_INBOX: dict[tuple[bool, ...], sa.Select] = {}


def page(conn: Connection, *, user: str | None, groups: Iterable[str], see_all: bool,
         assigned_to_me: bool = False, candidate_group: str | None = None,
         definition_key: str | None = None, instance_id: str | None = None,
         overdue_at: datetime | None = None, page: int = 1, per_page: int = 50) -> tuple[list[sa.Row], int]:
    """The inbox: ready tasks the user may act on, due date first (no due date last), then oldest.

    A task is the user's when it is assigned to them, or unassigned and offered to them
    or to one of `groups` (candidate users, candidate groups or the lane).
    """
    flags = (assigned_to_me, see_all, bool(candidate_group), bool(definition_key), bool(instance_id),
             overdue_at is not None)
    stmt = _INBOX.get(flags)
    if stmt is None:
        stmt = _INBOX[flags] = _inbox_statement(flags)
    params = {"user": user or "", "groups": list(groups) or [""], "candidate_group": candidate_group,
              "definition_key": definition_key, "instance_id": instance_id, "overdue_at": overdue_at,
              "limit": per_page, "offset": (page - 1) * per_page}
    rows = conn.execute(stmt, params).all()
    if rows:
        return list(rows), rows[0].total
    if page == 1:
        return [], 0
    first = conn.execute(stmt, {**params, "limit": 1, "offset": 0}).first()  # past the end: count anyway
    return [], first.total if first else 0


def may_act(row: sa.Row, user: str, groups: Iterable[str]) -> bool:
    """Whether `user` may claim/complete the task row (same rule as the inbox query)."""
    if row.assignee is not None:
        return row.assignee == user
    if user in orjson.loads(row.candidate_users):
        return True
    return bool(set(orjson.loads(row.candidate_groups)) & set(groups))
