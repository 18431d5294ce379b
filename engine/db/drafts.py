"""Table `definition_draft`: a designer's unpublished diagram, decision or form, and its queries.

One draft per definition (kind, key), shared by the designers: each save names the revision
it was made from, so a designer never overwrites another's save without seeing it (409).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, LongText, Timestamp, metadata

draft = sa.Table(
    "definition_draft",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # process | decision | form
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("base_version", sa.Integer),  # the version it was started from; None: a new definition
    sa.Column("filename", sa.String(500), nullable=False),
    sa.Column("source", LongText, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),  # 1 at creation, +1 per save
    sa.Column("created_by", sa.String(150), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("saved_by", sa.String(150), nullable=False),
    sa.Column("saved_at", Timestamp, nullable=False),
    sa.UniqueConstraint("kind", "key"),
)


def get(conn: Connection, kind: str, key: str) -> sa.Row | None:
    return conn.execute(sa.select(draft).where(draft.c.kind == kind, draft.c.key == key)).first()


def listing(conn: Connection, kind: str | None = None) -> list[sa.Row]:
    q = sa.select(draft).order_by(draft.c.kind, draft.c.key)
    if kind:
        q = q.where(draft.c.kind == kind)
    return list(conn.execute(q))


def keys(conn: Connection, kind: str) -> set[str]:
    return set(conn.execute(sa.select(draft.c.key).where(draft.c.kind == kind)).scalars())


def insert(conn: Connection, **values) -> None:
    conn.execute(sa.insert(draft).values(**values))


def update(conn: Connection, draft_id: str, expected_revision: int, **values) -> bool:
    """Write a save made from `expected_revision`; False when another save came first."""
    result = conn.execute(sa.update(draft).where(draft.c.id == draft_id, draft.c.revision == expected_revision)
                          .values(revision=expected_revision + 1, **values))
    return result.rowcount == 1


def delete(conn: Connection, draft_id: str) -> None:
    conn.execute(sa.delete(draft).where(draft.c.id == draft_id))
