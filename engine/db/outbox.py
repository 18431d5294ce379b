"""Table `outbox`: effects of service tasks to deliver after their command committed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import notify
from .base import Id, JsonText, Timestamp, metadata
from .sql import Statement, db
from .timers import aware

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", Id, primary_key=True),  # also the receiver's idempotency key
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), nullable=False),
    sa.Column("connector", sa.String(255), nullable=False),
    sa.Column("element_id", sa.String(255), nullable=False),
    sa.Column("payload", JsonText, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("next_attempt_at", Timestamp),
    sa.Column("lease_owner", sa.String(100)),
    sa.Column("lease_expires_at", Timestamp),
    sa.Column("delivered_at", Timestamp),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_status", "status", "next_attempt_at"),
)


_INSERT = Statement("INSERT INTO outbox (id, instance_id, connector, element_id, payload, status, attempts, "
                    "created_at, next_attempt_at) VALUES (:id, :instance_id, :connector, :element_id, :payload, "
                    ":status, :attempts, :created_at, :next_attempt_at)")


def insert_many(conn: Connection, rows: list[dict]) -> None:
    if rows:
        db(conn).execute_many(_INSERT, rows)


def for_instance(conn: Connection, instance_id: str) -> list[sa.Row]:
    return list(conn.execute(sa.select(outbox).where(outbox.c.instance_id == instance_id)
                             .order_by(outbox.c.created_at, outbox.c.id)))


SELECT_ONE = sa.select(outbox).where(outbox.c.id == sa.bindparam("id"))


def get(conn: Connection, outbox_id: str) -> sa.Row | None:
    return conn.execute(SELECT_ONE, {"id": outbox_id}).first()


def mark_delivered(conn: Connection, outbox_id: str, owner: str, at, attempts: int) -> None:
    conn.execute(sa.update(outbox).where(outbox.c.id == outbox_id, outbox.c.lease_owner == owner)
                 .values(status="delivered", delivered_at=at, attempts=attempts, lease_owner=None,
                         lease_expires_at=None))


def record_failure(conn: Connection, outbox_id: str, *, attempts: int, error: str, retry_at, give_up: bool) -> None:
    conn.execute(sa.update(outbox).where(outbox.c.id == outbox_id).values(
        attempts=attempts, last_error=error, status="failed" if give_up else "pending", next_attempt_at=retry_at,
        lease_owner=None, lease_expires_at=None))


def reset(conn: Connection, outbox_id: str, due_at) -> None:
    """Make a failed delivery pending again (an incident is retried)."""
    conn.execute(sa.update(outbox).where(outbox.c.id == outbox_id).values(
        attempts=0, status="pending", next_attempt_at=due_at, lease_owner=None, lease_expires_at=None))
    notify.outbox_due(conn)


def earliest_due(conn: Connection) -> datetime | None:
    """When the next pending, unclaimed delivery is due (real time), from `ix_outbox_status`."""
    due = conn.execute(sa.select(sa.func.min(outbox.c.next_attempt_at)).where(
        outbox.c.status == "pending", outbox.c.lease_owner.is_(None))).scalar()
    return aware(due) if due is not None else None
