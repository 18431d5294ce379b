"""Signed checkpoints: an Ed25519 signature over a Merkle root of every instance's chain head.

The hash chain is unkeyed: someone who can write the database can rewrite an event and
recompute every hash after it. A checkpoint signs, with a key kept outside the database,
the heads of all instances at one moment (the signed text: checkpoint_format.py); `verify`
then holds each instance's chain to the latest checkpoint (its event at the checkpointed
seq must have the checkpointed hash: checkpoint_checks.py).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ..db import audit_checkpoints, audit_events, instances
from ..db.base import READ, WRITE
from .checkpoint_checks import CheckpointVerifier, check_anchor
from .checkpoint_format import describe, digest_of, signed_text
from .hash_chain import GENESIS
from .merkle import root as merkle_root
from .merkle import sort_leaves
from .signing import KeyUnavailable, SigningKey, key_path, load, load_or_create

log = logging.getLogger("diwan.audit")


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
