"""Checking checkpoints: the latest one (signature with the key file's public key, root
recomputed from its leaves, link to the previous one), their whole sequence, and an
exported checkpoint held outside against the database."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..db import audit_checkpoints
from .checkpoint_format import digest_of, signed_text, text_of
from .hash_chain import GENESIS, format_at
from .merkle import root as merkle_root
from .merkle import sort_leaves
from .signing import KeyUnavailable, SigningKey

if TYPE_CHECKING:  # pragma: no cover
    from .checkpoints import Checkpoints


@dataclass
class CheckpointCheck:
    """The latest checkpoint, checked once (signature, root from its leaves, link to the previous)."""

    row: Any = None
    problems: list[str] = field(default_factory=list)
    status: str = "none"  # off | none | failed | ok


class CheckpointVerifier:
    """Checks instances against the latest checkpoint; the checkpoint itself is checked once
    per verifier (a `verify --all` run uses one)."""

    def __init__(self, checkpoints: "Checkpoints"):
        self.checkpoints = checkpoints
        self._latest: CheckpointCheck | None = None

    def latest(self, conn) -> CheckpointCheck:
        if self._latest is None:
            self._latest = self._check_latest(conn)
        return self._latest

    def _check_latest(self, conn) -> CheckpointCheck:
        cp = self.checkpoints
        if not cp.enabled:
            return CheckpointCheck(status="off", problems=[cp.off_reason()])
        row = audit_checkpoints.latest(conn)
        if row is None:
            return CheckpointCheck(status="none")
        try:
            key = cp.key()
        except KeyUnavailable as exc:
            return CheckpointCheck(row, [f"checkpoint {row.seq} cannot be checked: {exc}"], "failed")
        return CheckpointCheck(row, check_row(conn, row, key), "ok")

    def sequence(self, conn) -> list[str]:
        """Every checkpoint: seq without gaps from 1, each signature, each link to the previous."""
        cp = self.checkpoints
        if not cp.enabled:
            return []
        rows = audit_checkpoints.all_in_order(conn)
        if not rows:
            return []
        try:
            key = cp.key()
        except KeyUnavailable as exc:
            return [str(exc)]
        problems, prev, expected_seq = [], None, 1
        for row in rows:
            if row.seq != expected_seq:
                missing = str(expected_seq) if row.seq == expected_seq + 1 else f"{expected_seq}-{row.seq - 1}"
                problems.append(f"checkpoint {missing} is missing (the next one is {row.seq})")
                prev = None
            expected_seq = row.seq + 1
            if row.key_id != key.key_id or not key.verifies(text_of(row), row.signature):
                problems.append(f"checkpoint {row.seq}: the signature does not verify with the audit key")
            elif prev is not None and row.prev != digest_of(prev):
                problems.append(f"checkpoint {row.seq} does not link to checkpoint {prev.seq}")
            elif row.seq == 1 and row.prev != GENESIS:
                problems.append("checkpoint 1 links to a previous checkpoint")
            prev = row
        return problems


def check_row(conn, row, key: SigningKey) -> list[str]:
    """One checkpoint's problems: its signature (with the key file's public key), its root
    recomputed from its leaves, its leaf count, its link to the previous checkpoint."""
    problems = []
    if row.key_id != key.key_id:
        problems.append(f"checkpoint {row.seq} was signed with key {row.key_id}, the audit key file holds "
                        f"{key.key_id}")
    elif not key.verifies(text_of(row), row.signature):
        problems.append(f"checkpoint {row.seq}: the signature does not verify (the row was altered)")
    leaves = sort_leaves((r.instance_id, r.last_seq, r.last_hash) for r in audit_checkpoints.leaves_at(conn, row.seq))
    if len(leaves) != row.leaf_count:
        problems.append(f"checkpoint {row.seq} signs {row.leaf_count} heads but {len(leaves)} leaf rows are stored")
    if merkle_root(leaves) != row.root:
        problems.append(f"checkpoint {row.seq}: the root recomputed from the stored leaves is not the signed root "
                        "(leaf rows were altered, added or removed)")
    if row.seq > 1:
        before = audit_checkpoints.get(conn, row.seq - 1)
        if before is None:
            problems.append(f"checkpoint {row.seq - 1} is missing")
        elif row.prev != digest_of(before):
            problems.append(f"checkpoint {row.seq} does not link to checkpoint {row.seq - 1} (it was altered)")
    return problems


def check_anchor(conn, checkpoints: "Checkpoints", anchor: dict) -> list[str]:
    """An exported checkpoint held outside (`diwan audit anchor`) against the database: it must
    be signed by the audit key, and the database must still hold it, unchanged, and nothing
    older than it as its latest."""
    try:
        seq, at, root, count, prev, key_id, signature = (anchor["seq"], anchor["at"], anchor["root"],
                                                          anchor["leaf_count"], anchor["prev"], anchor["key_id"],
                                                          anchor["signature"])
    except (KeyError, TypeError):
        return ["the anchor is not an exported checkpoint (seq, at, root, leaf_count, prev, key_id, signature)"]
    try:
        key = checkpoints.key()
    except KeyUnavailable as exc:
        return [f"the anchor cannot be checked: {exc}"]
    problems = []
    if key_id != key.key_id or not key.verifies(signed_text(seq, at, root, count, prev, key_id), signature):
        problems.append(f"the anchor (checkpoint {seq}) is not signed by the audit key")
    row = audit_checkpoints.get(conn, seq)
    if row is None:
        problems.append(f"checkpoint {seq}, held by the anchor, is missing from the database")
    elif (format_at(row.at), row.root, row.leaf_count, row.prev, row.signature) != (at, root, count, prev, signature):
        problems.append(f"checkpoint {seq} in the database is not the one the anchor holds")
    latest = audit_checkpoints.latest(conn)
    if latest is not None and latest.seq < seq:
        problems.append(f"the database's latest checkpoint is {latest.seq}, older than the anchor's {seq}")
    return problems
