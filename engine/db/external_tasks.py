"""Table `external_task`: one row per external task waiting for a worker, its locks and retries."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, JsonText, Timestamp, metadata
from .instances import instance
from .sql import Statement, columns, db
from .sql import insert as insert_statement

external_task = sa.Table(
    "external_task",
    metadata,
    sa.Column("id", Id, primary_key=True),  # the waiting SpiffWorkflow task's id
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), nullable=False),
    sa.Column("definition_id", Id, nullable=False),
    sa.Column("definition_key", sa.String(255), nullable=False),
    sa.Column("element_id", sa.String(255), nullable=False),
    sa.Column("topic", sa.String(255), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("properties", JsonText, nullable=False),  # camunda:properties (extensionProperties)
    sa.Column("local_variables", JsonText, nullable=False),  # a multi-instance item
    sa.Column("worker_id", sa.String(255)),  # the worker of the latest lock
    sa.Column("lock_expires_at", Timestamp),  # real time; also how a retry timeout waits
    sa.Column("retries", sa.Integer),  # null until a worker reports a failure; 0: an incident
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("error_message", sa.Text),
    sa.Column("error_details", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_external_task_topic", "topic", "created_at"),
    sa.Index("ix_external_task_instance", "instance_id"),
)

INSERT = insert_statement(external_task)
DELETE_ONE = Statement("DELETE FROM external_task WHERE id = :b_id")
# A task and its instance's head in one statement (like tasks.with_instance).
SELECT_WITH_INSTANCE = Statement(
    f"SELECT {columns(external_task)}, "
    f"{columns(instance, prefix='inst__', exclude=('state', 'data', 'active_elements'))} "
    "FROM external_task JOIN instance ON instance.id = external_task.instance_id WHERE external_task.id = :id")

# What a read shows of the instance beside each task.
_VIEW_COLUMNS = [*external_task.c, instance.c.business_key, instance.c.status.label("instance_status")]


def insert_many(conn: Connection, rows: list[dict]) -> None:
    db(conn).execute_many(INSERT, rows)


def delete_many(conn: Connection, ids: Iterable[str]) -> None:
    db(conn).execute_many(DELETE_ONE, [{"b_id": i} for i in ids])


def with_instance(conn: Connection, task_id: str):
    """The task row and its instance's head (columns prefixed `inst__`), or None."""
    return db(conn).first(SELECT_WITH_INSTANCE, {"id": task_id})


def get(conn: Connection, task_id: str) -> sa.Row | None:
    """The task with its instance's business key and status, or None."""
    return conn.execute(sa.select(*_VIEW_COLUMNS).select_from(external_task.join(instance))
                        .where(external_task.c.id == task_id)).first()


def by_ids(conn: Connection, ids: list[str]) -> list[sa.Row]:
    if not ids:
        return []
    return list(conn.execute(sa.select(*_VIEW_COLUMNS).select_from(external_task.join(instance))
                             .where(external_task.c.id.in_(ids))))


def instance_states(conn: Connection, instance_ids: Iterable[str]) -> list[sa.Row]:
    """(id, state, data) of the instances a fetch hands out tasks of (their variables), in one query."""
    ids = list(instance_ids)
    if not ids:
        return []
    return list(conn.execute(sa.select(instance.c.id, instance.c.state, instance.c.data)
                             .where(instance.c.id.in_(ids))))


def free_at(wall: datetime):
    """Not locked (never, unlocked, or the lock ran out) and not waiting out a retry timeout,
    and retries left (conditions on the row itself: an UPDATE re-checks them on the row
    version a concurrent locker committed)."""
    return sa.and_(sa.or_(external_task.c.lock_expires_at.is_(None), external_task.c.lock_expires_at <= wall),
                   sa.or_(external_task.c.retries.is_(None), external_task.c.retries > 0))


def fetchable(wall: datetime):
    """What fetchAndLock may hand out: free, retries left, its instance running."""
    return sa.and_(free_at(wall), instance.c.status == "running")


def candidates(conn: Connection, topic_conditions: list, *, wall: datetime, limit: int, use_priority: bool,
               newest_first: bool, with_data: bool) -> list[sa.Row]:
    """Fetchable tasks matching any topic's conditions, in the order they are handed out.

    With `with_data` (a process-variable filter follows in Python) the instances' variables
    come along and rows are not locked here: the claim re-checks that each is still free.
    """
    cols = [external_task.c.id, external_task.c.topic] + ([instance.c.data] if with_data else [])
    created = external_task.c.created_at.desc() if newest_first else external_task.c.created_at
    order = ([external_task.c.priority.desc()] if use_priority else []) + [created, external_task.c.id]
    q = (sa.select(*cols).select_from(external_task.join(instance))
         .where(sa.or_(*topic_conditions), fetchable(wall)).order_by(*order).limit(limit))
    if conn.dialect.name == "postgresql" and not with_data:
        q = q.with_for_update(of=external_task, skip_locked=True)
    return list(conn.execute(q))


def lock_free(conn: Connection, ids: list[str], *, worker_id: str, wall: datetime, until: datetime) -> list[str]:
    """Lock those of `ids` still fetchable for `worker_id` until `until`; returns the ids locked."""
    if not ids:
        return []
    running = sa.exists().where(instance.c.id == external_task.c.instance_id, instance.c.status == "running")
    stmt = (sa.update(external_task).where(external_task.c.id.in_(ids), free_at(wall), running)
            .values(worker_id=worker_id, lock_expires_at=until).returning(external_task.c.id))
    return [r.id for r in conn.execute(stmt)]


HOLD_FOR_REPORT = Statement("UPDATE external_task SET worker_id = worker_id WHERE id = :b_id AND worker_id = :b_worker")


def hold_for_report(conn: Connection, task_id: str, worker_id: str) -> bool:
    """Row-lock the task while it is still `worker_id`'s, until the command ends (a concurrent
    fetch of it then waits for the report, and finds it done); False when it is no longer."""
    return db(conn).execute(HOLD_FOR_REPORT, {"b_id": task_id, "b_worker": worker_id}) == 1


def set_lock(conn: Connection, task_id: str, worker_id: str | None, until: datetime | None) -> None:
    conn.execute(sa.update(external_task).where(external_task.c.id == task_id)
                 .values(worker_id=worker_id, lock_expires_at=until))


def record_failure(conn: Connection, task_id: str, *, retries: int, failures: int, error_message: str | None,
                   error_details: str | None, until: datetime | None) -> None:
    """A worker's failure report: retries left, the error, and when the task may be fetched again."""
    conn.execute(sa.update(external_task).where(external_task.c.id == task_id).values(
        retries=retries, failures=failures, error_message=error_message, error_details=error_details,
        lock_expires_at=until))


def reset_for_retry(conn: Connection, task_id: str) -> None:
    """One retry for a task behind an incident, fetchable at once (an admin retried the incident)."""
    conn.execute(sa.update(external_task).where(external_task.c.id == task_id).values(
        retries=1, worker_id=None, lock_expires_at=None))


def page(conn: Connection, *, topic: str | None = None, worker_id: str | None = None,
         instance_id: str | None = None, element_id: str | None = None, locked: bool | None = None,
         with_retries_left: bool | None = None, wall: datetime, first: int = 0, limit: int = 50) -> list[sa.Row]:
    """External tasks oldest first, by the filters given."""
    cond = []
    if topic is not None:
        cond.append(external_task.c.topic == topic)
    if worker_id is not None:
        cond.append(external_task.c.worker_id == worker_id)
    if instance_id is not None:
        cond.append(external_task.c.instance_id == instance_id)
    if element_id is not None:
        cond.append(external_task.c.element_id == element_id)
    if locked is not None:
        is_locked = external_task.c.lock_expires_at > wall
        cond.append(is_locked if locked else sa.not_(sa.and_(external_task.c.lock_expires_at.is_not(None),
                                                            is_locked)))
    if with_retries_left is not None:
        left = sa.or_(external_task.c.retries.is_(None), external_task.c.retries > 0)
        cond.append(left if with_retries_left else external_task.c.retries == 0)
    q = (sa.select(*_VIEW_COLUMNS).select_from(external_task.join(instance)).where(sa.and_(sa.true(), *cond))
         .order_by(external_task.c.created_at, external_task.c.id).offset(first).limit(limit))
    return list(conn.execute(q))


def next_free(conn: Connection, topics: list[str], wall: datetime) -> datetime | None:
    """The earliest moment a locked (or retry-waiting) task of these topics becomes free."""
    value = conn.execute(sa.select(sa.func.min(external_task.c.lock_expires_at)).where(
        external_task.c.topic.in_(topics), external_task.c.lock_expires_at > wall)).scalar()
    return value


def json_column(value) -> str:
    return orjson.dumps(value).decode()


def lock_until(wall: datetime, milliseconds: int) -> datetime:
    return wall + timedelta(milliseconds=milliseconds)
