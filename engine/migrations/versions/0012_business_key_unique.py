"""business keys unique per process: an index on (definition_key, business_key)

Messages correlate by business key, so two instances of one process under the same key
were ambiguous (issue 14). Existing duplicates are not refused: the oldest instance of each
(process, key) keeps the key; each later one gets `KEY~2`, `KEY~3`, ... (in creation order),
its message subscriptions follow, and its audit chain gets a `business_key_changed` event
by `system` saying from what, to what and why, so the rename is part of the record.

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-02 16:00:00
"""
from datetime import datetime, timezone
import hashlib
import json

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0007'
branch_labels = None
depends_on = None

KEYED = sa.text("business_key IS NOT NULL")
REASON = "business keys became unique per process (migration 0012): the oldest instance keeps the key"
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def upgrade() -> None:
    conn = op.get_bind()
    _rename_duplicates(conn)
    with op.batch_alter_table('instance', schema=None) as batch_op:
        batch_op.create_index('uq_instance_definition_key_business_key', ['definition_key', 'business_key'],
                              unique=True, sqlite_where=KEYED, postgresql_where=KEYED)


def downgrade() -> None:
    with op.batch_alter_table('instance', schema=None) as batch_op:
        batch_op.drop_index('uq_instance_definition_key_business_key')


def _rename_duplicates(conn) -> None:
    dupes = conn.execute(sa.text(
        "SELECT definition_key, business_key FROM instance WHERE business_key IS NOT NULL "
        "GROUP BY definition_key, business_key HAVING COUNT(*) > 1")).all()
    now = datetime.now(timezone.utc)
    for definition_key, key in dupes:
        rows = conn.execute(sa.text(
            "SELECT id, status, active_elements, version, last_seq, last_hash FROM instance "
            "WHERE definition_key = :d AND business_key = :k ORDER BY created_at, id"),
            {"d": definition_key, "k": key}).all()
        taken = {r[0] for r in conn.execute(sa.text(
            "SELECT business_key FROM instance WHERE definition_key = :d AND business_key IS NOT NULL"),
            {"d": definition_key})}
        n = 1
        for row in rows[1:]:
            n += 1
            while f"{key}~{n}" in taken:
                n += 1
            new_key = f"{key}~{n}"
            taken.add(new_key)
            _rename(conn, row, key, new_key, now)


def _rename(conn, row, old: str, new: str, now: datetime) -> None:
    """Rename one instance's business key and chain the event (API.md's canonical form)."""
    seq = row.last_seq + 1
    at = now.isoformat(timespec="microseconds")
    payload = _CANONICAL({"from": old, "to": new, "reason": REASON,
                          "after": {"status": row.status, "active_elements": json.loads(row.active_elements)}})
    body = {"actor": "system", "at": at, "element_id": None, "instance_id": row.id, "prev_hash": row.last_hash,
            "seq": seq, "task_id": None, "type": "business_key_changed"}
    text = _CANONICAL({**body, "payload": json.loads(payload)})
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    conn.execute(sa.text(
        "INSERT INTO audit_event (instance_id, seq, at, type, actor, element_id, task_id, payload, prev_hash, hash) "
        "VALUES (:i, :s, :at, 'business_key_changed', 'system', NULL, NULL, :p, :prev, :h)"),
        {"i": row.id, "s": seq, "at": now if conn.dialect.name != "sqlite"
         else now.replace(tzinfo=None).isoformat(" ", "microseconds"),  # SQLAlchemy's SQLite text
         "p": payload, "prev": row.last_hash, "h": digest})
    conn.execute(sa.text("UPDATE instance SET business_key = :k, last_seq = :s, last_hash = :h, version = :v "
                         "WHERE id = :i"), {"k": new, "s": seq, "h": digest, "v": row.version + 1, "i": row.id})
    conn.execute(sa.text("UPDATE message_subscription SET business_key = :k WHERE instance_id = :i"),
                 {"k": new, "i": row.id})
