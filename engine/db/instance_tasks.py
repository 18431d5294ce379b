"""Table `instance_task`: an instance's workflow state, one row per task (issue 16).

The `instance.state` column holds the workflow's header (its data, subprocesses, events);
each task of the top workflow and of its subprocesses is a row here, so that a command
writes the tasks it changed, not the whole tree (runtime/state_journal.py). `position`
keeps the tasks' order in their workflow's dictionary (SpiffWorkflow's creation order,
which the engine's scans follow); `workflow` is the subprocess's id ('' for the top one).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, LongText, metadata
from .sql import Statement, db

instance_task = sa.Table(
    "instance_task",
    metadata,
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), primary_key=True),
    sa.Column("task_id", Id, primary_key=True),
    sa.Column("workflow", Id, nullable=False),  # '' for the top workflow, else its subprocess's id
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("body", LongText, nullable=False),  # the task as SpiffWorkflow's serializer writes it
)

SELECT = Statement("SELECT task_id, workflow, position, body FROM instance_task WHERE instance_id = :instance_id")
INSERT = Statement("INSERT INTO instance_task (instance_id, task_id, workflow, position, body) "
                   "VALUES (:instance_id, :task_id, :workflow, :position, :body)")
# A task written before keeps its position; SQLite (3.24+) and PostgreSQL share this syntax.
UPSERT = Statement("INSERT INTO instance_task (instance_id, task_id, workflow, position, body) "
                   "VALUES (:instance_id, :task_id, :workflow, :position, :body) "
                   "ON CONFLICT (instance_id, task_id) DO UPDATE SET body = excluded.body")
DELETE = Statement("DELETE FROM instance_task WHERE instance_id = :instance_id AND task_id = :task_id")
DELETE_WORKFLOW = Statement("DELETE FROM instance_task WHERE instance_id = :instance_id AND workflow = :workflow")
DELETE_ALL = Statement("DELETE FROM instance_task WHERE instance_id = :instance_id")


def rows(conn: Connection, instance_id: str) -> list:
    """The instance's task rows (task_id, workflow, position, body), in no particular order."""
    return db(conn).all(SELECT, {"instance_id": instance_id})


def write(conn: Connection, instance_id: str, *, upserts: list[dict], deletes: list[str],
          dropped_workflows: list[str], replace_all: bool, new: bool) -> None:
    """Apply one save's changes (`upserts`: dicts of task_id, workflow, position, body)."""
    d = db(conn)
    if replace_all and not new:
        d.execute(DELETE_ALL, {"instance_id": instance_id})
    for workflow in dropped_workflows:
        d.execute(DELETE_WORKFLOW, {"instance_id": instance_id, "workflow": workflow})
    if deletes:
        d.execute_many(DELETE, [{"instance_id": instance_id, "task_id": t} for t in deletes])
    if upserts:
        for row in upserts:
            row["instance_id"] = instance_id
        d.execute_many(INSERT if replace_all else UPSERT, upserts)
