"""Table `access_log`: who viewed which case's personal data, when and how (append-only).

Rows are only ever inserted: no code path updates or deletes them.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, Timestamp, metadata

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor", sa.String(150), nullable=False),
    sa.Column("instance_id", Id, nullable=False),
    sa.Column("view", sa.String(40), nullable=False),  # case_page, task_page, history_page, api_instance, ...
    sa.Column("address", sa.String(64), nullable=True),
    sa.Index("ix_access_log_instance_id", "instance_id"),
    sa.Index("ix_access_log_actor", "actor"),
    sa.Index("ix_access_log_at", "at"),
)


def insert(conn: Connection, **values) -> None:
    conn.execute(access_log.insert().values(**values))


def page(conn: Connection, *, instance_id: str | None = None, actor: str | None = None,
         since: datetime | None = None, until: datetime | None = None, page: int = 1,
         per_page: int = 50) -> tuple[list[sa.Row], int]:
    """Rows newest first, filtered, and their total."""
    where = []
    if instance_id:
        where.append(access_log.c.instance_id == instance_id)
    if actor:
        where.append(access_log.c.actor == actor)
    if since:
        where.append(access_log.c.at >= since)
    if until:
        where.append(access_log.c.at <= until)
    total = conn.execute(sa.select(sa.func.count()).select_from(access_log).where(*where)).scalar_one()
    rows = conn.execute(sa.select(access_log).where(*where).order_by(access_log.c.id.desc())
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total
