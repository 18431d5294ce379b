"""Table `message_subscription`: what each waiting message catch event waits for, and its queries."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, metadata
from .sql import Statement, db
from .sql import insert as insert_statement

subscription = sa.Table(
    "message_subscription",
    metadata,
    sa.Column("id", Id, primary_key=True),  # waiting task id + message name
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), nullable=False),
    sa.Column("message_name", sa.String(255), nullable=False),
    sa.Column("element_id", sa.String(255), nullable=False),
    sa.Column("business_key", sa.String(255)),
    sa.Index("ix_message_subscription_name_key", "message_name", "business_key"),
    sa.Index("ix_message_subscription_instance", "instance_id"),
)

INSERT = insert_statement(subscription)
DELETE_ONE = Statement("DELETE FROM message_subscription WHERE id = :b_id")
# A migration renames the element a wait belongs to (its task keeps its id).
RENAME = Statement("UPDATE message_subscription SET element_id = :element_id WHERE id = :b_id")


def sync(conn: Connection, instance_id: str, business_key: str | None, before: dict[str, tuple[str, str]],
         after: dict[str, tuple[str, str]]) -> None:
    """Make the instance's rows equal to `after`: task id -> (element id, message name)."""
    gone = [{"b_id": _row_id(t, n)} for t, (e, n) in before.items() if (t, n) not in _pairs(after)]
    new = [{"id": _row_id(t, n), "instance_id": instance_id, "message_name": n, "element_id": e,
            "business_key": business_key} for t, (e, n) in after.items() if (t, n) not in _pairs(before)]
    renamed = [{"b_id": _row_id(t, n), "element_id": e} for t, (e, n) in after.items()
               if t in before and before[t][1] == n and before[t][0] != e]
    if gone or new or renamed:
        d = db(conn)
        d.execute_many(DELETE_ONE, gone)
        d.execute_many(INSERT, new)
        d.execute_many(RENAME, renamed)


def _pairs(d: dict[str, tuple[str, str]]) -> set[tuple[str, str]]:
    return {(t, n) for t, (e, n) in d.items()}


def _row_id(task_id: str, name: str) -> str:
    import hashlib

    return hashlib.sha256(f"{task_id}\0{name}".encode()).hexdigest()[:36]


def waiting_instances(conn: Connection, message_name: str, business_key: str | None,
                      any_key: bool = False) -> list[str]:
    """Ids of instances with a catch event waiting for this message under this business key
    (instances without one, for a message thrown by an instance without one; any instance
    with `any_key`, for signals)."""
    key = (sa.true() if any_key else subscription.c.business_key.is_(None) if business_key is None
           else subscription.c.business_key == business_key)
    rows = conn.execute(
        sa.select(subscription.c.instance_id).distinct()
        .where(subscription.c.message_name == message_name, key)
        .order_by(subscription.c.instance_id))
    return [r[0] for r in rows]


def for_instance(conn: Connection, instance_id: str) -> list[sa.Row]:
    return list(conn.execute(sa.select(subscription).where(subscription.c.instance_id == instance_id)))
