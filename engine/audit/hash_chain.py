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


def format_at(at: datetime) -> str:
    """`at` as it enters the hash: UTC, with microseconds (`2026-11-29T06:28:32.000000+00:00`)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical(event: dict[str, Any], instance_id: str) -> str:
    """The canonical JSON text of an event (every field but `hash`, plus `instance_id`)."""
    body = {k: v for k, v in event.items() if k != "hash"}
    body["instance_id"] = instance_id
    if isinstance(body.get("at"), datetime):
        body["at"] = format_at(body["at"])
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
