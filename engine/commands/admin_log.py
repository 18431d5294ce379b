"""The admin log: what designers and admins do outside instances, hash-chained like an
instance's history (API.md's canonical form, with `subject` in place of `instance_id`).

Every command that changes definitions, drafts, users or groups appends here in its own
transaction, so the record and the change commit together or not at all.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from ..audit.hash_chain import GENESIS, format_at
from ..db import admin_events
from .base import CommandContext

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def event_hash(seq: int, at: str, type_: str, actor: str, subject: str, payload: dict, prev_hash: str) -> str:
    """sha256 of the canonical JSON of the event without its hash (anyone holding the events recomputes it)."""
    body = {"seq": seq, "at": at, "type": type_, "actor": actor, "subject": subject, "payload": payload,
            "prev_hash": prev_hash}
    return hashlib.sha256(_CANONICAL(body).encode("utf-8")).hexdigest()


def record(ctx: CommandContext, type_: str, subject: str, payload: dict[str, Any], actor: str) -> int:
    """Append one event to the admin log in the command's transaction; returns its seq."""
    conn = ctx.conn
    admin_events.lock(conn)
    last_seq, last_hash = admin_events.tail(conn)
    seq, prev = last_seq + 1, last_hash or GENESIS
    payload = json.loads(_CANONICAL(payload))  # JSON values only, as stored
    digest = event_hash(seq, format_at(ctx.now), type_, actor, subject, payload, prev)
    admin_events.append(conn, [{"seq": seq, "at": ctx.now, "type": type_, "actor": actor, "subject": subject,
                                "payload": _CANONICAL(payload), "prev_hash": prev, "hash": digest}])
    return seq


def first_break(rows) -> int | None:
    """The seq of the first stored event whose link or hash is wrong, None when the chain holds."""
    prev, expected = GENESIS, 1
    for r in rows:
        if r.seq != expected or r.prev_hash != prev:
            return r.seq if r.seq == expected else expected
        if event_hash(r.seq, format_at(r.at), r.type, r.actor, r.subject, json.loads(r.payload), prev) != r.hash:
            return r.seq
        prev, expected = r.hash, expected + 1
    return None
