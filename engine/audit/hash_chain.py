"""The audit hash chain: canonical form of an event and its sha256, as API.md defines them.

An outsider holding the exported events recomputes the chain with:

    import hashlib, json
    prev = "0" * 64
    for e in events:                       # in seq order, as exported (JSON)
        body = {k: v for k, v in e.items() if k != "hash"}
        body["instance_id"] = instance_id
        assert body["prev_hash"] == prev
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == e["hash"]
        prev = e["hash"]
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64
# Built once: `json.dumps` with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_STRING = json.encoder.encode_basestring  # what JSONEncoder(ensure_ascii=False) does with a str


def _TEXT(value: str | None) -> str:
    return "null" if value is None else _STRING(value)


_last_formatted: tuple[datetime | None, str] = (None, "")  # a command formats its one instant many times


def format_at(at: datetime) -> str:
    """`at` as it enters the hash: UTC, with microseconds (`2026-11-29T06:28:32.000000+00:00`)."""
    global _last_formatted
    last = _last_formatted
    if at is last[0]:
        return last[1]
    value = at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
    text = value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    _last_formatted = (at, text)
    return text


def canonical(event: dict[str, Any], instance_id: str) -> str:
    """The canonical JSON text of an event (every field but `hash`, plus `instance_id`)."""
    body = {k: v for k, v in event.items() if k != "hash"}
    body["instance_id"] = instance_id
    if isinstance(body.get("at"), datetime):
        body["at"] = format_at(body["at"])
    return _CANONICAL(body)


def payload_text(payload: dict[str, Any]) -> str:
    """The payload as stored: its own canonical JSON (so the chain can be checked without parsing)."""
    return _CANONICAL(payload)


# The same encoder, refusing NaN and infinities: for a payload not yet made JSON-safe, a
# value it raises on (those, or a type JSON lacks) tells the caller to make it safe first.
plain_payload_text = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                      allow_nan=False).encode


def canonical_text(instance_id: str, seq: int, at: str, type_: str, actor: str, element_id: str | None,
                   task_id: str | None, payload: str, prev_hash: str) -> str:
    """`canonical()` built from stored columns (the payload already canonical): the same text."""
    t = _TEXT
    return (f'{{"actor":{t(actor)},"at":{t(at)},"element_id":{t(element_id)},'
            f'"instance_id":{t(instance_id)},"payload":{payload},"prev_hash":{t(prev_hash)},"seq":{seq},'
            f'"task_id":{t(task_id)},"type":{t(type_)}}}')


def first_break_rows(rows, instance_id: str) -> int | None:
    """`first_break` over stored rows (seq, at, type, actor, element_id, task_id, payload text,
    prev_hash, hash), without parsing payloads: the fast path for batch verification."""
    prev, expected_seq = GENESIS, 1
    for r in rows:
        text = canonical_text(instance_id, r.seq, format_at(r.at), r.type, r.actor, r.element_id, r.task_id,
                              r.payload, r.prev_hash)
        if r.seq != expected_seq or r.prev_hash != prev or hashlib.sha256(text.encode()).hexdigest() != r.hash:
            return r.seq if r.seq == expected_seq else expected_seq
        prev, expected_seq = r.hash, expected_seq + 1
    return None


def event_hash(event: dict[str, Any], instance_id: str) -> str:
    return hashlib.sha256(canonical(event, instance_id).encode("utf-8")).hexdigest()


def first_break(events: list[dict[str, Any]], instance_id: str) -> int | None:
    """The seq of the first event whose link or hash is wrong (or out of order), None if intact."""
    prev, expected_seq = GENESIS, 1
    for e in events:
        if e["seq"] != expected_seq or e["prev_hash"] != prev or event_hash(e, instance_id) != e["hash"]:
            return e["seq"] if e["seq"] == expected_seq else expected_seq
        prev, expected_seq = e["hash"], expected_seq + 1
    return None
