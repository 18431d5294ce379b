"""The exact form of a signed checkpoint: the text that is signed and the export.

The signed text is the UTF-8 canonical JSON (keys sorted, separators `,` and `:`, no
ASCII escaping) of

    {"at": "<UTC time, microseconds>", "format": "diwan-audit-checkpoint/1",
     "key_id": "<sha256 hex of the raw public key>", "leaf_count": N,
     "prev": "<sha256 hex of the previous checkpoint's signed text, or 64 zeros>",
     "root": "<Merkle root, hex: engine/audit/merkle.py>", "seq": N}

and `signature` is the hex Ed25519 signature of those bytes. `prev` chains the
checkpoints, so removing one in the middle breaks the next one's link; their `seq` runs
1, 2, ... without gaps.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from .hash_chain import _CANONICAL, format_at
from .signing import SigningKey

FORMAT = "diwan-audit-checkpoint/1"


def signed_text(seq: int, at: datetime | str, root: str, leaf_count: int, prev: str, key_id: str) -> bytes:
    at_text = at if isinstance(at, str) else format_at(at)
    return _CANONICAL({"at": at_text, "format": FORMAT, "key_id": key_id, "leaf_count": leaf_count,
                       "prev": prev, "root": root, "seq": seq}).encode("utf-8")


def text_of(row) -> bytes:
    return signed_text(row.seq, row.at, row.root, row.leaf_count, row.prev, row.key_id)


def digest_of(row) -> str:
    return hashlib.sha256(text_of(row)).hexdigest()


def describe(row, key: SigningKey | None = None, leaves: list | None = None) -> dict:
    """A checkpoint as exported: what a third party holds to check the database later."""
    out: dict[str, Any] = {"format": FORMAT, "seq": row.seq, "at": format_at(row.at), "root": row.root,
                           "leaf_count": row.leaf_count, "prev": row.prev, "key_id": row.key_id,
                           "signature": row.signature, "signed_text": text_of(row).decode("utf-8")}
    if key is not None:
        out["public_key"] = key.public_description()
    if leaves is not None:
        out["leaves"] = [{"instance_id": i, "seq": s, "hash": h} for i, s, h in leaves]
    return out
