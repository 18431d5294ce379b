"""Table `label_registry`: association labels issued by the labelling process, and its queries."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, Timestamp, metadata

label_registry = sa.Table(
    "label_registry",
    metadata,
    sa.Column("number", sa.String(40), primary_key=True),
    sa.Column("association", sa.String(500), nullable=False),
    sa.Column("registration_number", sa.String(100), nullable=False),
    sa.Column("country", sa.String(100), nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("expires_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # active | revoked
    sa.Column("instance_id", Id, nullable=False),  # the labelling instance that issued or last renewed it
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_label_registry_registration", "registration_number"),
)


def by_number(conn: Connection, number: str) -> sa.Row | None:
    return conn.execute(sa.select(label_registry).where(label_registry.c.number == number)).first()


def active_for(conn: Connection, registration_number: str, today: date) -> sa.Row | None:
    return conn.execute(
        sa.select(label_registry)
        .where(label_registry.c.registration_number == registration_number, label_registry.c.status == "active",
               label_registry.c.expires_on >= today)
        .order_by(label_registry.c.expires_on.desc()).limit(1)).first()


def count_issued_in(conn: Connection, year: int) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(label_registry)
                        .where(label_registry.c.number.like(f"MDM-LBL-{year}-%"))).scalar_one()


def insert(conn: Connection, **values) -> None:
    conn.execute(sa.insert(label_registry).values(**values))


def extend(conn: Connection, number: str, expires_on: date, instance_id: str, at) -> None:
    conn.execute(sa.update(label_registry).where(label_registry.c.number == number)
                 .values(expires_on=expires_on, instance_id=instance_id, updated_at=at))


def all_labels(conn: Connection) -> list[sa.Row]:
    return list(conn.execute(sa.select(label_registry).order_by(label_registry.c.number)))
