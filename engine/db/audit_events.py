"""Table `audit_event`: the hash-chained, per-instance history, and its queries."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, JsonText, Timestamp, metadata
from .sql import db
from .sql import insert as insert_statement

audit_event = sa.Table(
    "audit_event",
    metadata,
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(150), nullable=False),
    sa.Column("element_id", sa.String(255)),
    sa.Column("task_id", Id),
    sa.Column("payload", JsonText, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

INSERT = insert_statement(audit_event)


def append(conn: Connection, rows: list[dict]) -> None:
    db(conn).execute_many(INSERT, rows)


def for_instance(conn: Connection, instance_id: str, *, types=None, actor: str | None = None,
                 since=None, until=None) -> list[sa.Row]:
    """An instance's events in seq order, optionally only of some types, by one actor, or within times."""
    q = sa.select(audit_event).where(audit_event.c.instance_id == instance_id)
    if types:
        q = q.where(audit_event.c.type.in_(list(types)))
    if actor:
        q = q.where(audit_event.c.actor == actor)
    if since is not None:
        q = q.where(audit_event.c.at >= since)
    if until is not None:
        q = q.where(audit_event.c.at <= until)
    return list(conn.execute(q.order_by(audit_event.c.seq)))


def hash_at(conn: Connection, instance_id: str, seq: int) -> str | None:
    """The hash of an instance's event `seq`, None when there is none."""
    return conn.execute(sa.select(audit_event.c.hash).where(audit_event.c.instance_id == instance_id,
                                                            audit_event.c.seq == seq)).scalar()
