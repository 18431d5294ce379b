"""Tables `audit_checkpoint` (signed Merkle roots over every instance's chain head) and
`audit_checkpoint_leaf` (the heads they sign), and their queries.

A checkpoint stores leaf rows only for the heads that changed since the previous one, and
removes the rows they supersede: checkpoint N's leaves are, per instance, its leaf row
with the highest checkpoint seq <= N (`leaves_at`), and only the latest checkpoint's can
all be read back (one row per instance). Older checkpoints keep their signed root and
their link to the previous one.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import Id, Timestamp, metadata

audit_checkpoint = sa.Table(
    "audit_checkpoint",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),  # 1, 2, ... without gaps
    sa.Column("at", Timestamp, nullable=False),  # wall-clock time it was made
    sa.Column("root", sa.String(64), nullable=False),  # RFC 6962 Merkle tree hash of the leaves (hex)
    sa.Column("leaf_count", sa.Integer, nullable=False),
    sa.Column("prev", sa.String(64), nullable=False),  # sha256 of the previous checkpoint's signed text
    sa.Column("key_id", sa.String(64), nullable=False),  # sha256 of the raw Ed25519 public key (hex)
    sa.Column("signature", sa.String(128), nullable=False),  # Ed25519 over the signed text (hex)
)

audit_checkpoint_leaf = sa.Table(
    "audit_checkpoint_leaf",
    metadata,
    sa.Column("instance_id", Id, primary_key=True),  # no foreign key: evidence, not a dependent row
    sa.Column("checkpoint_seq", sa.Integer, sa.ForeignKey("audit_checkpoint.seq"), primary_key=True,
              autoincrement=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)


def latest(conn: Connection) -> sa.Row | None:
    return conn.execute(sa.select(audit_checkpoint).order_by(audit_checkpoint.c.seq.desc()).limit(1)).first()


def get(conn: Connection, seq: int) -> sa.Row | None:
    return conn.execute(sa.select(audit_checkpoint).where(audit_checkpoint.c.seq == seq)).first()


def all_in_order(conn: Connection) -> list[sa.Row]:
    return list(conn.execute(sa.select(audit_checkpoint).order_by(audit_checkpoint.c.seq)))


def leaves_at(conn: Connection, seq: int) -> list[sa.Row]:
    """Checkpoint `seq`'s leaves (instance_id, last_seq, last_hash), in no particular order
    (the Merkle order is the caller's: collations differ between databases)."""
    leaf = audit_checkpoint_leaf
    newest = (sa.select(leaf.c.instance_id, sa.func.max(leaf.c.checkpoint_seq).label("at_seq"))
              .where(leaf.c.checkpoint_seq <= seq).group_by(leaf.c.instance_id).subquery())
    return list(conn.execute(
        sa.select(leaf.c.instance_id, leaf.c.last_seq, leaf.c.last_hash)
        .join(newest, sa.and_(leaf.c.instance_id == newest.c.instance_id, leaf.c.checkpoint_seq == newest.c.at_seq))))


def leaf_of(conn: Connection, instance_id: str, seq: int) -> sa.Row | None:
    """An instance's leaf in checkpoint `seq` (checkpoint_seq, last_seq, last_hash), or None."""
    leaf = audit_checkpoint_leaf
    return conn.execute(
        sa.select(leaf.c.checkpoint_seq, leaf.c.last_seq, leaf.c.last_hash)
        .where(leaf.c.instance_id == instance_id, leaf.c.checkpoint_seq <= seq)
        .order_by(leaf.c.checkpoint_seq.desc()).limit(1)).first()


def insert(conn: Connection, checkpoint: dict, leaves: list[dict]) -> None:
    """One checkpoint and its new leaf rows, and the older rows of those instances dropped
    (the caller's transaction; a concurrent writer that took the same seq makes the insert
    fail on the primary key, first)."""
    conn.execute(sa.insert(audit_checkpoint), [checkpoint])
    if leaves:
        leaf = audit_checkpoint_leaf
        conn.execute(sa.delete(leaf).where(leaf.c.instance_id == sa.bindparam("b_instance"),
                                           leaf.c.checkpoint_seq < sa.bindparam("b_seq")),
                     [{"b_instance": row["instance_id"], "b_seq": row["checkpoint_seq"]} for row in leaves])
        conn.execute(sa.insert(leaf), leaves)
