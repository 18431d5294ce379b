"""Table `incident`: work nobody waited for (a timer firing, an outbox delivery) that kept failing."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, Timestamp, metadata

incident = sa.Table(
    "incident",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("instance_id", Id, sa.ForeignKey("instance.id"), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # timer | outbox | external (an external task)
    sa.Column("source_id", Id, nullable=False),  # the timer or outbox row
    sa.Column("element_id", sa.String(255)),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("resolved_at", Timestamp),
    sa.Index("ix_incident_open", "resolved_at", "created_at"),
    sa.Index("ix_incident_instance", "instance_id"),
)

OPEN_FOR_INSTANCE = sa.select(incident).where(
    incident.c.instance_id == sa.bindparam("iid"), incident.c.resolved_at.is_(None)).order_by(incident.c.created_at)


def insert(conn: Connection, **values) -> None:
    conn.execute(sa.insert(incident).values(**values))


def get(conn: Connection, incident_id: str) -> sa.Row | None:
    return conn.execute(sa.select(incident).where(incident.c.id == incident_id)).first()


def open_for_instance(conn: Connection, instance_id: str) -> list[sa.Row]:
    return list(conn.execute(OPEN_FOR_INSTANCE, {"iid": instance_id}))


def open_page(conn: Connection, page: int, per_page: int) -> tuple[list[sa.Row], int]:
    where = incident.c.resolved_at.is_(None)
    total = conn.execute(sa.select(sa.func.count()).select_from(incident).where(where)).scalar_one()
    rows = conn.execute(sa.select(incident).where(where).order_by(incident.c.created_at, incident.c.id)
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def resolve(conn: Connection, incident_id: str, at: datetime) -> None:
    conn.execute(sa.update(incident).where(incident.c.id == incident_id).values(resolved_at=at))
