"""Table `admin_event`: the hash-chained log of what designers and admins did outside instances
(deployments, drafts, publications, withdrawals, users and groups), and its queries.

One chain for the whole database: `seq` from 1 without gaps, `hash` = sha256 of the canonical
JSON of the event (every field but `hash`), `prev_hash` the previous event's (the first's: 64
zeros), as API.md defines it for instance histories, with `subject` instead of `instance_id`.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import JsonText, Timestamp, metadata

admin_event = sa.Table(
    "admin_event",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(150), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),  # process:KEY, form:KEY, user:NAME, group:NAME...
    sa.Column("payload", JsonText, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_admin_event_subject", "subject"),
)


def lock(conn: Connection) -> None:
    """Serialize writers of the chain until the transaction ends (SQLite's BEGIN IMMEDIATE does already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE admin_event IN EXCLUSIVE MODE")


def tail(conn: Connection) -> tuple[int, str | None]:
    row = conn.execute(sa.select(admin_event.c.seq, admin_event.c.hash).order_by(admin_event.c.seq.desc())
                       .limit(1)).first()
    return (row.seq, row.hash) if row else (0, None)


def append(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(sa.insert(admin_event), rows)


def page(conn: Connection, *, subject: str | None = None, page: int = 1, per_page: int = 50) -> tuple[list, int]:
    """Events newest first (of one subject, or all), and their total."""
    where = admin_event.c.subject == subject if subject else sa.true()
    total = conn.execute(sa.select(sa.func.count()).select_from(admin_event).where(where)).scalar_one()
    rows = conn.execute(sa.select(admin_event).where(where).order_by(admin_event.c.seq.desc())
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def in_order(conn: Connection) -> list[sa.Row]:
    return list(conn.execute(sa.select(admin_event).order_by(admin_event.c.seq)))
