"""Table `attachment`: files a clerk uploaded for a task's form (filepicker fields), and its queries.

The bytes live in the row (`content`) or, with DIWAN_ATTACHMENTS_DIR, in a file named by the
id in that folder (`content` NULL). The sha256 of the bytes is recorded here and, once the
task is completed, in the instance's hash-chained `task_completed` event.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, Timestamp, metadata

attachment = sa.Table(
    "attachment",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("instance_id", Id, nullable=False),
    sa.Column("task_id", Id, nullable=False),
    sa.Column("field", sa.String(255), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("uploaded_by", sa.String(150), nullable=False),
    sa.Column("uploaded_at", Timestamp, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=True),
    sa.Index("ix_attachment_instance_id", "instance_id"),
    sa.Index("ix_attachment_task_id", "task_id"),
)

_META = [c for c in attachment.c if c.name != "content"]


def insert(conn: Connection, **values) -> None:
    conn.execute(attachment.insert().values(**values))


def get(conn: Connection, attachment_id: str):
    """The row without its bytes, or None."""
    return conn.execute(sa.select(*_META).where(attachment.c.id == attachment_id)).first()


def content(conn: Connection, attachment_id: str) -> bytes | None:
    return conn.execute(sa.select(attachment.c.content).where(attachment.c.id == attachment_id)).scalar()


def many(conn: Connection, ids) -> dict[str, sa.Row]:
    ids = list(ids)
    if not ids:
        return {}
    return {r.id: r for r in conn.execute(sa.select(*_META).where(attachment.c.id.in_(ids))).all()}


def for_instance(conn: Connection, instance_id: str) -> list[sa.Row]:
    return list(conn.execute(sa.select(*_META).where(attachment.c.instance_id == instance_id)
                             .order_by(attachment.c.uploaded_at, attachment.c.id)).all())
