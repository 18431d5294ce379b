"""Signed checkpoints: an Ed25519 signature over a Merkle root of every instance's chain head.

The hash chain is unkeyed: someone who can write the database can rewrite an event and
recompute every hash after it. A checkpoint signs, with a key kept outside the database,
the heads of all instances at one moment; `verify` then holds each instance's chain to
the latest checkpoint (its event at the checkpointed seq must have the checkpointed hash).

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
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..db import audit_checkpoints, audit_events, instances
from ..db.base import READ, WRITE
from .hash_chain import GENESIS, _CANONICAL, format_at
from .merkle import root as merkle_root
from .merkle import sort_leaves
from .signing import KeyUnavailable, SigningKey, key_path, load, load_or_create

log = logging.getLogger("diwan.audit")

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


class Checkpoints:
    """Making and checking checkpoints for one engine (its settings say where the key is)."""

    def __init__(self, engine):
        self.engine = engine
        self.path = key_path(engine.settings.audit_key_file, engine.settings.database_url)
        self._next_attempt: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def off_reason(self) -> str:
        return ("checkpoints are off: no audit key (set DIWAN_AUDIT_KEY_FILE; only a SQLite database file "
                "gets one generated beside it)")

    def key(self, create: bool = False) -> SigningKey:
        """The signing key. Raises KeyUnavailable when checkpoints are off or the file is unusable."""
        if self.path is None:
            raise KeyUnavailable(self.off_reason())
        return load_or_create(self.path) if create else load(self.path)

    # -- making -------------------------------------------------------------------------
    def make(self) -> dict | None:
        """Sign the current heads now; None when no head changed since the latest checkpoint
        (or there is no instance), or a concurrent worker made the same checkpoint first.

        Raises:
            KeyUnavailable: checkpoints are off.
        """
        key = self.key(create=True)
        engine = self.engine
        with engine.db.connect().execution_options(**READ) as conn, conn.begin():
            last = audit_checkpoints.latest(conn)
            heads = {r.id: (r.last_seq, r.last_hash) for r in instances.chain_heads(conn)}
            previous = ({r.instance_id: (r.last_seq, r.last_hash) for r in audit_checkpoints.leaves_at(conn, last.seq)}
                        if last is not None else {})
            changed = {i: h for i, h in heads.items() if previous.get(i) != h}
            refused = _regressions(conn, changed, previous)
        for instance_id in refused:
            log.error("audit checkpoint: instance %s no longer has the head checkpoint %s signed (seq %s): "
                      "its new head is not signed", instance_id, last.seq, previous[instance_id][0])
            del changed[instance_id]
        if not changed:
            return None
        leaves = {**previous, **changed}  # an instance gone from the database stays in the tree
        ordered = sort_leaves((i, s, h) for i, (s, h) in leaves.items())
        seq = last.seq + 1 if last is not None else 1
        prev = digest_of(last) if last is not None else GENESIS
        at = engine.wall.now()
        root = merkle_root(ordered)
        row = {"seq": seq, "at": at, "root": root, "leaf_count": len(ordered), "prev": prev, "key_id": key.key_id,
               "signature": key.sign(signed_text(seq, at, root, len(ordered), prev, key.key_id))}
        new_leaves = [{"instance_id": i, "checkpoint_seq": seq, "last_seq": s, "last_hash": h}
                      for i, (s, h) in changed.items()]
        try:
            with engine.db.connect().execution_options(**WRITE) as conn, conn.begin():
                audit_checkpoints.insert(conn, row, new_leaves)
        except IntegrityError:  # another worker took this seq
            return None
        log.info("audit checkpoint %s: %s instances, root %s", seq, len(ordered), root)
        with engine.db.connect() as conn:
            return describe(audit_checkpoints.get(conn, seq), key)

    def make_if_due(self) -> dict | None:
        """A checkpoint when the latest is older than `audit_checkpoint_seconds` (the worker
        loop calls this on every pass). Never raises: a failure is logged."""
        if self.path is None:
            return None
        now = self.engine.wall.now()
        if self._next_attempt is not None and now < self._next_attempt:
            return None
        interval = timedelta(seconds=self.engine.settings.audit_checkpoint_seconds)
        try:
            with self.engine.db.connect() as conn:
                last = audit_checkpoints.latest(conn)
            if last is not None and now - last.at < interval:
                self._next_attempt = last.at + interval
                return None
            self._next_attempt = now + interval
            return self.make()
        except Exception:  # noqa: BLE001 - the worker goes on; the next pass tries again
            log.exception("audit checkpoint failed")
            return None

    # -- reading ------------------------------------------------------------------------
    def latest(self, with_leaves: bool = False) -> dict:
        """{"enabled", "detail", "checkpoint"}: the latest checkpoint (with the public key)."""
        if self.path is None:
            return {"enabled": False, "detail": self.off_reason(), "checkpoint": None}
        with self.engine.db.connect() as conn:
            row = audit_checkpoints.latest(conn)
            leaves = (sort_leaves((r.instance_id, r.last_seq, r.last_hash)
                                  for r in audit_checkpoints.leaves_at(conn, row.seq))
                      if row is not None and with_leaves else None)
        if row is None:
            return {"enabled": True, "detail": "no checkpoint yet", "checkpoint": None}
        try:
            key = self.key()
        except KeyUnavailable as exc:
            return {"enabled": True, "detail": str(exc), "checkpoint": describe(row, None, leaves)}
        return {"enabled": True, "detail": f"checkpoint {row.seq}", "checkpoint": describe(row, key, leaves)}

    def verifier(self) -> "CheckpointVerifier":
        return CheckpointVerifier(self)

    def problems(self, anchor: dict | None = None) -> list[str]:
        """The checkpoints' own problems: their sequence, instances the latest one signs that
        are gone from the database, and an anchor held outside that the database contradicts."""
        with self.engine.db.connect() as conn:
            problems = self.verifier().sequence(conn)
            latest = audit_checkpoints.latest(conn)
            if latest is not None:
                present = {r.id for r in instances.chain_heads(conn)}
                problems += [f"instance {i}, signed by checkpoint {latest.seq}, is missing from the database"
                             for i in sorted(r.instance_id for r in audit_checkpoints.leaves_at(conn, latest.seq)
                                             if r.instance_id not in present)]
            if anchor is not None:
                problems += check_anchor(conn, self, anchor)
        return problems


def _regressions(conn, changed: dict, previous: dict) -> list[str]:
    """Instances whose chain no longer holds the head the previous checkpoint signed (the
    tail was removed, or the history rewritten): their new head is not signed."""
    out = []
    for instance_id, (seq, _hash) in changed.items():
        before = previous.get(instance_id)
        if before is None:
            continue
        if seq < before[0]:
            out.append(instance_id)
            continue
        if audit_events.hash_at(conn, instance_id, before[0]) != before[1]:
            out.append(instance_id)
    return out


@dataclass
class CheckpointCheck:
    """The latest checkpoint, checked once (signature, root from its leaves, link to the previous)."""

    row: Any = None
    problems: list[str] = field(default_factory=list)
    status: str = "none"  # off | none | failed | ok


class CheckpointVerifier:
    """Checks instances against the latest checkpoint; the checkpoint itself is checked once
    per verifier (a `verify --all` run uses one)."""

    def __init__(self, checkpoints: Checkpoints):
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


def check_anchor(conn, checkpoints: Checkpoints, anchor: dict) -> list[str]:
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
