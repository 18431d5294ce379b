"""Table `definition_state`: a process's life beyond its versions (withdrawn, who may start it)."""
from __future__ import annotations

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import JsonText, Timestamp, metadata
from .sql import Statement, db

definition_state = sa.Table(
    "definition_state",
    metadata,
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("withdrawn_at", Timestamp),  # no new starts; running instances go on
    sa.Column("withdrawn_by", sa.String(150)),
    sa.Column("withdraw_reason", sa.String(2000)),
    sa.Column("starter_groups", JsonText),  # JSON list; NULL: every clerk may start it
)

SELECT_ONE = Statement("SELECT withdrawn_at, starter_groups FROM definition_state WHERE kind = :kind AND key = :key")


def get(conn: Connection, kind: str, key: str):
    """(withdrawn_at, starter_groups JSON) of a definition, or None (never withdrawn, open to every clerk)."""
    return db(conn).first(SELECT_ONE, {"kind": kind, "key": key})


def all_states(conn: Connection, kind: str = "process") -> dict[str, sa.Row]:
    return {r.key: r for r in conn.execute(sa.select(definition_state).where(definition_state.c.kind == kind))}


def withdrawn_keys(conn: Connection, kind: str = "process") -> set[str]:
    return set(conn.execute(sa.select(definition_state.c.key).where(
        definition_state.c.kind == kind, definition_state.c.withdrawn_at.is_not(None))).scalars())


def upsert(conn: Connection, kind: str, key: str, **values) -> None:
    exists = conn.execute(sa.select(definition_state.c.key).where(
        definition_state.c.kind == kind, definition_state.c.key == key)).first()
    if exists:
        conn.execute(sa.update(definition_state).where(
            definition_state.c.kind == kind, definition_state.c.key == key).values(**values))
    else:
        conn.execute(sa.insert(definition_state).values(kind=kind, key=key, **values))


def starter_groups(row) -> list[str] | None:
    return orjson.loads(row.starter_groups) if row is not None and row.starter_groups is not None else None
