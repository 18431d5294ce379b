"""Table `timer`: one row per waiting timer with its due time, and its queries."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import notify
from .base import Id, Timestamp, metadata
from .sql import Statement, db

timer = sa.Table(
    "timer",
    metadata,
    sa.Column("id", Id, primary_key=True),  # the waiting SpiffWorkflow task's id
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), nullable=False),
    sa.Column("element_id", sa.String(255), nullable=False),
    sa.Column("due_at", Timestamp, nullable=False),
    sa.Column("lease_owner", sa.String(100)),
    sa.Column("lease_expires_at", Timestamp),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_timer_due", "due_at"),
    sa.Index("ix_timer_instance", "instance_id"),
)

SELECT_ONE = sa.select(timer).where(timer.c.id == sa.bindparam("id"))
INSERT = Statement("INSERT INTO timer (id, instance_id, element_id, due_at, attempts) "
                   "VALUES (:id, :instance_id, :element_id, :due_at, :attempts)")
DELETE_ONE = Statement("DELETE FROM timer WHERE id = :b_id")
# A timer that moved on (the next occurrence of a cycle) is free to be claimed again.
UPDATE_DUE = Statement("UPDATE timer SET due_at = :due_at, lease_owner = NULL, lease_expires_at = NULL, "
                       "attempts = 0 WHERE id = :b_id")

# A migration renames the element a waiting timer belongs to (its task keeps its id).
RENAME = Statement("UPDATE timer SET element_id = :element_id WHERE id = :b_id")


def sync(conn: Connection, instance_id: str, current: dict[str, tuple[str, datetime]],
         wanted: dict[str, tuple[str, datetime]]) -> datetime | None:
    """Make the instance's timer rows equal to `wanted` (task id -> (element, due)).

    Returns the earliest due time of the rows it created or moved (what workers may have
    to wake up earlier for), or None.
    """
    gone = [{"b_id": i} for i in current if i not in wanted]
    new = [{"id": i, "instance_id": instance_id, "element_id": e, "due_at": d, "attempts": 0}
           for i, (e, d) in wanted.items() if i not in current]
    moved = [{"b_id": i, "due_at": d} for i, (e, d) in wanted.items()
             if i in current and aware(current[i][1]) != d]
    renamed = [{"b_id": i, "element_id": e} for i, (e, d) in wanted.items() if i in current and current[i][0] != e]
    if gone or new or moved or renamed:
        d = db(conn)
        d.execute_many(DELETE_ONE, gone)
        d.execute_many(INSERT, new)
        d.execute_many(UPDATE_DUE, moved)
        d.execute_many(RENAME, renamed)
    dues = [r["due_at"] for r in new] + [r["due_at"] for r in moved]
    return min(dues) if dues else None


def listing(conn: Connection, instance_id: str | None = None) -> list[sa.Row]:
    """Waiting timers (of one instance, or all), earliest first."""
    q = sa.select(timer).order_by(timer.c.due_at, timer.c.id)
    if instance_id:
        q = q.where(timer.c.instance_id == instance_id)
    return list(conn.execute(q))


def earliest_free_due(conn: Connection) -> datetime | None:
    """When the next unclaimed timer or timer start falls due (what a worker wakes up for)."""
    times = [conn.execute(sa.select(sa.func.min(t.c.due_at)).where(t.c.lease_owner.is_(None))).scalar()
             for t in (timer, process_timer)]
    times = [aware(t) for t in times if t is not None]
    return min(times) if times else None


# The lease owner of a row whose failed firing waits for its retry (workers/leases.py parks it).
BACKOFF = "backoff"


def earliest_retry(conn: Connection, now: datetime) -> datetime | None:
    """When the next retry of a failed timer or timer start falls due (real time: the lease's
    end). Parked rows are due rows, found through the due-time index."""
    times = [conn.execute(sa.select(sa.func.min(t.c.lease_expires_at)).where(
        t.c.due_at <= now, t.c.lease_owner == BACKOFF)).scalar() for t in (timer, process_timer)]
    times = [aware(t) for t in times if t is not None]
    return min(times) if times else None


def reset(conn: Connection, timer_id: str) -> None:
    """Make a parked timer claimable again (an incident is retried)."""
    conn.execute(sa.update(timer).where(timer.c.id == timer_id).values(attempts=0, lease_owner=None,
                                                                      lease_expires_at=None))
    notify.reread(conn)


def schedule_next_start(conn: Connection, row_id: str, occurrence: int, due_at: datetime | None) -> None:
    """After a timer start fired: its next occurrence, or the end of its schedule."""
    if due_at is None:
        conn.execute(sa.delete(process_timer).where(process_timer.c.id == row_id))
    else:
        conn.execute(sa.update(process_timer).where(process_timer.c.id == row_id).values(
            occurrence=occurrence, due_at=due_at, lease_owner=None, lease_expires_at=None, attempts=0))


def aware(d: datetime) -> datetime:
    """Datetimes read back from SQLite are naive UTC."""
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


# Timer start events: one row per scheduled start of a process (the latest version's).
process_timer = sa.Table(
    "process_timer",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("definition_id", Id, sa.ForeignKey("definition.id"), nullable=False),
    sa.Column("definition_key", sa.String(255), nullable=False),
    sa.Column("element_id", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),  # timeDate | timeDuration | timeCycle
    sa.Column("value", sa.String(255), nullable=False),  # the ISO literal
    sa.Column("occurrence", sa.Integer, nullable=False),  # how many starts so far
    sa.Column("origin", Timestamp, nullable=False),  # when the schedule began (deployment)
    sa.Column("due_at", Timestamp, nullable=False),
    sa.Column("lease_owner", sa.String(100)),
    sa.Column("lease_expires_at", Timestamp),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_process_timer_due", "due_at"),
    sa.Index("ix_process_timer_key", "definition_key"),
)

SELECT_START = sa.select(process_timer).where(process_timer.c.id == sa.bindparam("id"))


def replace_start_timers(conn: Connection, key: str, rows: list[dict]) -> None:
    conn.execute(sa.delete(process_timer).where(process_timer.c.definition_key == key))
    if rows:
        conn.execute(sa.insert(process_timer), rows)
        notify.timer_due(conn, min(r["due_at"] for r in rows))
