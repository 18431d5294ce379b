"""Tables `deployment` and `definition` (BPMN processes, DMN decisions, forms) and their queries."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, JsonText, LongText, Timestamp, metadata
from .sql import Statement, columns, db

deployment = sa.Table(
    "deployment",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("deployed_at", Timestamp, nullable=False),
    sa.Column("deployed_by", sa.String(150), nullable=False),
)

definition = sa.Table(
    "definition",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # process | decision | form
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(500)),
    sa.Column("filename", sa.String(500), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("source", LongText, nullable=False),  # the file's text (BPMN/DMN XML or form JSON)
    sa.Column("meta", JsonText, nullable=False, default="{}"),  # start form key, references...
    sa.Column("deployment_id", Id, sa.ForeignKey("deployment.id"), nullable=False),
    sa.Column("deployed_at", Timestamp, nullable=False),
    sa.UniqueConstraint("kind", "key", "version"),
    sa.Index("ix_definition_kind_key_hash", "kind", "key", "content_hash"),
)


_SELECT = f"SELECT {columns(definition)} FROM definition"
LATEST = Statement(f"{_SELECT} WHERE kind = :kind AND key = :key ORDER BY version DESC LIMIT 1")
BY_VERSION = Statement(f"{_SELECT} WHERE kind = :kind AND key = :key AND version = :version")
BY_ID = Statement(f"{_SELECT} WHERE id = :id")
BY_HASH = Statement(f"{_SELECT} WHERE kind = :kind AND key = :key AND content_hash = :content_hash "
                    "ORDER BY version DESC LIMIT 1")
# What starting an instance reads of its process (not the source: the parsed spec is cached by
# id), with the process's lifecycle row (`definition_state`: withdrawn, starter groups), in one
# statement; `has_state` says whether that row exists.
_STARTING = ("SELECT d.id, d.key, d.version, d.meta, s.withdrawn_at, s.starter_groups, "
             "CASE WHEN s.key IS NULL THEN 0 ELSE 1 END AS has_state FROM definition d "
             "LEFT JOIN definition_state s ON s.kind = d.kind AND s.key = d.key "
             "WHERE d.kind = 'process' AND d.key = :key")
STARTING_LATEST = Statement(f"{_STARTING} ORDER BY d.version DESC LIMIT 1")
STARTING_VERSION = Statement(f"{_STARTING} AND d.version = :version")
LATEST_HEAD = Statement("SELECT id, kind, key, version, meta FROM definition WHERE kind = :kind AND key = :key "
                        "ORDER BY version DESC LIMIT 1")


def starting(conn: Connection, key: str, version: int | None):
    """The process version an instance starts (the newest, or `version`) and its lifecycle, or None."""
    if version:
        return db(conn).first(STARTING_VERSION, {"key": key, "version": version})
    return db(conn).first(STARTING_LATEST, {"key": key})


def latest_head(conn: Connection, kind: str, key: str):
    """The newest version of a definition without its source (id, kind, key, version, meta), or None."""
    return db(conn).first(LATEST_HEAD, {"kind": kind, "key": key})


def latest(conn: Connection, kind: str, key: str):
    """The newest version of a definition, or None."""
    return db(conn).first(LATEST, {"kind": kind, "key": key})


def by_version(conn: Connection, kind: str, key: str, version: int):
    return db(conn).first(BY_VERSION, {"kind": kind, "key": key, "version": version})


def by_hash(conn: Connection, kind: str, key: str, content_hash: str):
    """The newest version of a definition with exactly these bytes (their sha256), or None."""
    return db(conn).first(BY_HASH, {"kind": kind, "key": key, "content_hash": content_hash})


def by_id(conn: Connection, definition_id: str):
    return db(conn).first(BY_ID, {"id": definition_id})


def versions(conn: Connection, kind: str, key: str) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.select(definition)
            .where(definition.c.kind == kind, definition.c.key == key)
            .order_by(definition.c.version.desc())
        )
    )


def latest_of_each(conn: Connection, kind: str) -> list[sa.Row]:
    newest = (
        sa.select(definition.c.key, sa.func.max(definition.c.version).label("v"))
        .where(definition.c.kind == kind)
        .group_by(definition.c.key)
        .subquery()
    )
    return list(
        conn.execute(
            sa.select(definition)
            .join(newest, sa.and_(definition.c.key == newest.c.key, definition.c.version == newest.c.v))
            .where(definition.c.kind == kind)
            .order_by(definition.c.key)
        )
    )


def insert_deployment(conn: Connection, deployment_id: str, at: datetime, actor: str) -> None:
    conn.execute(sa.insert(deployment).values(id=deployment_id, deployed_at=at, deployed_by=actor))


def insert_definition(conn: Connection, **values) -> None:
    conn.execute(sa.insert(definition).values(**values))
