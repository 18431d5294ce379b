"""The Merkle tree hash of a checkpoint: RFC 6962 (Certificate Transparency) §2.1 over the
instances' chain heads.

A third party recomputes a checkpoint's root from its leaves with:

    import hashlib

    def leaf_bytes(instance_id, last_seq, last_hash):
        return f"{instance_id}:{last_seq}:{last_hash}".encode("utf-8")

    def mth(items):                                 # items: leaf byte strings, in order
        if not items:
            return hashlib.sha256(b"").digest()
        if len(items) == 1:
            return hashlib.sha256(b"\\x00" + items[0]).digest()
        k = 1
        while k * 2 < len(items):                   # the largest power of two below n
            k *= 2
        return hashlib.sha256(b"\\x01" + mth(items[:k]) + mth(items[k:])).digest()

    leaves = sorted(leaves, key=lambda l: l["instance_id"].encode("utf-8"))
    root = mth([leaf_bytes(l["instance_id"], l["seq"], l["hash"]) for l in leaves]).hex()
"""
from __future__ import annotations

import hashlib
from typing import Iterable

_sha256 = hashlib.sha256


def leaf_bytes(instance_id: str, last_seq: int, last_hash: str) -> bytes:
    """One leaf's data: `<instance id>:<last seq>:<last hash>` in UTF-8."""
    return f"{instance_id}:{last_seq}:{last_hash}".encode("utf-8")


def sort_leaves(leaves: Iterable[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """(instance id, last seq, last hash) in the tree's order: by the id's UTF-8 bytes."""
    return sorted(leaves, key=lambda leaf: leaf[0].encode("utf-8"))


def root(leaves: list[tuple[str, int, str]]) -> str:
    """The hex Merkle tree hash of (instance id, last seq, last hash) leaves, already sorted."""
    return tree_hash([leaf_bytes(*leaf) for leaf in leaves]).hex()


def tree_hash(items: list[bytes]) -> bytes:
    """RFC 6962's Merkle tree hash of leaf byte strings, in order.

    Built bottom-up: level by level, pairs are hashed and an odd last node is carried up
    unchanged, which is the same tree as RFC 6962's split at the largest power of two.
    """
    if not items:
        return _sha256(b"").digest()
    level = [_sha256(b"\x00" + item).digest() for item in items]
    while len(level) > 1:
        paired = [_sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
