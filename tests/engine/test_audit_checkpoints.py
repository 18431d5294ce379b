"""Signed checkpoints: a Merkle root over every instance's chain head, signed with an Ed25519
key kept outside the database, so that a chain rewritten and rehashed by someone with
database access (but not the key) fails verify."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import stat

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

from engine import Actor, Engine, EngineSettings
from engine.audit.hash_chain import canonical_text, format_at
from engine.audit.merkle import tree_hash
from engine.audit.signing import KeyUnavailable, key_path
from engine.db.audit_events import audit_event
from tests.conftest import PG_URL, fixture_files, verify_every_instance

CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))


@pytest.fixture
def signed(database_url, clock, connectors, tmp_path):
    """An engine whose checkpoints are signed with a key file in the test's folder."""
    settings = EngineSettings(require_claim=False, database_url=database_url, audit_key_file=str(tmp_path / "audit.key"))
    eng = Engine(settings=settings, clock=clock, connectors=connectors)
    eng.deploy(fixture_files("loop.bpmn"))
    yield eng
    verify_every_instance(eng)
    eng.dispose()


def sql(engine, text: str, **params) -> int:
    with engine.db.begin() as conn:
        return conn.execute(sa.text(text), params).rowcount


def start(engine, limit: int = 5) -> str:
    return engine.start("loop", {"count": 0, "limit": limit}, actor=CLERK).id


def step(engine, instance_id: str, actor: Actor = CLERK) -> None:
    [task] = engine.list_tasks(see_all=True, instance_id=instance_id).items
    engine.complete_task(task.id, {}, actor=actor)


def rewrite_chain(engine, instance_id: str, edit) -> None:
    """What an attacker with database access does: change events, recompute every hash after
    them (the chain is unkeyed), and point the head at the new last hash."""
    with engine.db.begin() as conn:
        rows = list(conn.execute(sa.select(audit_event).where(audit_event.c.instance_id == instance_id)
                                 .order_by(audit_event.c.seq)))
        prev = "0" * 64
        for r in rows:
            actor, payload = edit(r)
            digest = hashlib.sha256(canonical_text(instance_id, r.seq, format_at(r.at), r.type, actor, r.element_id,
                                                   r.task_id, payload, prev).encode()).hexdigest()
            conn.execute(sa.update(audit_event).where(audit_event.c.instance_id == instance_id,
                                                      audit_event.c.seq == r.seq)
                         .values(actor=actor, payload=payload, prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(sa.text("update instance set last_hash = :h where id = :i"), {"h": prev, "i": instance_id})


def mallory_did_it(engine, instance_id: str) -> None:
    """Rewrite who completed the tasks (the replay cannot tell), task rows included."""
    rewrite_chain(engine, instance_id, lambda r: ("mallory" if r.type == "task_completed" else r.actor, r.payload))
    sql(engine, "update task set completed_by = 'mallory' where instance_id = :i and state = 'completed'", i=instance_id)


def forget(engine, instance_id: str) -> None:
    for text in ("delete from audit_event where instance_id = :i",
                 "delete from task_candidate where task_id in (select id from task where instance_id = :i)",
                 "delete from task where instance_id = :i", "delete from instance_task where instance_id = :i", "delete from instance where id = :i"):
        sql(engine, text, i=instance_id)


# -- the tree and the key -------------------------------------------------------------------

def _mth(items: list[bytes]) -> bytes:
    """RFC 6962 §2.1, as written there (recursive split at the largest power of two)."""
    if not items:
        return hashlib.sha256(b"").digest()
    if len(items) == 1:
        return hashlib.sha256(b"\x00" + items[0]).digest()
    k = 1
    while k * 2 < len(items):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(items[:k]) + _mth(items[k:])).digest()


def test_merkle__rfc6962_test_vectors_and_its_recursive_definition():
    # The Certificate Transparency reference vectors (leaves and roots of trees of 1 to 8 leaves).
    leaves = [bytes.fromhex(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                         "606162636465666768696a6b6c6d6e6f")]
    roots = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
             "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
             "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
             "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
             "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
             "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
    assert [tree_hash(leaves[:n]).hex() for n in range(1, 9)] == roots
    items = [f"leaf {i}".encode() for i in range(70)]
    for n in range(0, 70):
        assert tree_hash(items[:n]) == _mth(items[:n]), n


def test_key__generated_beside_a_sqlite_database_file_with_mode_0600(tmp_path):
    engine = Engine(settings=EngineSettings(require_claim=False, database_url=f"sqlite:///{tmp_path}/d.db"))
    engine.upgrade_schema()
    engine.deploy(fixture_files("loop.bpmn"))
    start(engine)
    key_file = tmp_path / "d.db.audit-key"
    assert not key_file.exists()
    checkpoint = engine.checkpoint()
    assert key_file.exists() and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in key_file.read_bytes() and checkpoint["seq"] == 1
    assert key_file.read_bytes() not in str(checkpoint).encode()
    verify_every_instance(engine)
    engine.dispose()


def test_key__none_for_postgresql_without_a_key_file_so_checkpoints_are_off():
    assert key_path(None, "postgresql+psycopg://postgres@127.0.0.1/x") is None
    assert key_path("/etc/diwan/audit.key", "postgresql+psycopg://postgres@127.0.0.1/x").name == "audit.key"
    assert key_path(None, "sqlite:///var/diwan.db").name == "diwan.db.audit-key"
    assert key_path(None, "sqlite://") is None


def test_verify__says_whether_checkpoints_are_off(engine):
    engine.deploy(fixture_files("loop.bpmn"))
    instance_id = start(engine)
    checkpoint = engine.verify(instance_id)["checkpoint"]
    if PG_URL:  # no key file configured: off, and verify says how to turn them on
        assert checkpoint["status"] == "off" and "DIWAN_AUDIT_KEY_FILE" in checkpoint["detail"]
        assert engine.latest_checkpoint()["enabled"] is False
        with pytest.raises(KeyUnavailable):
            engine.checkpoint()
    else:  # a SQLite file gets a key beside it on the first checkpoint
        assert checkpoint["status"] == "none"
        engine.checkpoint()
        assert engine.verify(instance_id)["checkpoint"]["status"] == "verified"


# -- making them ------------------------------------------------------------------------

def test_checkpoint__signs_every_head_and_verify_holds_each_instance_to_it(signed):
    a, b = start(signed), start(signed)
    checkpoint = signed.checkpoint()
    assert checkpoint["seq"] == 1 and checkpoint["leaf_count"] == 2 and checkpoint["prev"] == "0" * 64
    head_a = signed.history(a)[-1].seq
    assert signed.verify(a)["checkpoint"] == {"status": "verified", "seq": 1, "event_seq": head_a,
                                              "detail": f"events 1-{head_a} are as checkpoint 1 signed them"}
    step(signed, a)  # newer events than the checkpoint are fine: it vouches for the older ones
    assert signed.verify(a)["ok"] and signed.verify(a)["checkpoint"]["event_seq"] == head_a
    c = start(signed)
    assert signed.verify(c)["checkpoint"]["status"] == "not_covered" and signed.verify(c)["ok"]
    assert signed.verify(b)["checkpoint"]["status"] == "verified"


def test_checkpoint__none_when_nothing_changed_and_only_changed_heads_get_leaf_rows(signed):
    """Leaf rows: the changed heads only, each replacing the instance's older row."""
    a, b = start(signed), start(signed)
    assert signed.checkpoint()["seq"] == 1
    assert signed.checkpoint() is None
    step(signed, a)
    second = signed.checkpoint()
    assert second["seq"] == 2 and second["leaf_count"] == 2
    with signed.db.connect() as conn:
        rows = conn.execute(sa.text("select instance_id, checkpoint_seq from audit_checkpoint_leaf")).all()
    assert sorted(rows) == sorted([(b, 1), (a, 2)])
    latest = signed.latest_checkpoint(with_leaves=True)["checkpoint"]
    assert {leaf["instance_id"]: leaf["seq"] for leaf in latest["leaves"]} == {
        a: signed.history(a)[-1].seq, b: signed.history(b)[-1].seq}


def test_checkpoint__a_third_party_recomputes_the_root_and_checks_the_signature(signed):
    for _ in range(5):
        start(signed)
    signed.checkpoint()
    anchor = json.loads(json.dumps(signed.anchor(with_leaves=True)))  # as held outside, JSON only
    leaves = sorted(anchor["leaves"], key=lambda leaf: leaf["instance_id"].encode())
    root = _mth([f"{x['instance_id']}:{x['seq']}:{x['hash']}".encode() for x in leaves]).hex()
    assert root == anchor["root"]
    fields = {k: anchor[k] for k in ("at", "format", "key_id", "leaf_count", "prev", "root", "seq")}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert text == anchor["signed_text"]
    public = serialization.load_pem_public_key(anchor["public_key"]["pem"].encode())
    public.verify(bytes.fromhex(anchor["signature"]), text.encode())  # raises when it does not hold
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert hashlib.sha256(raw).hexdigest() == anchor["key_id"] == anchor["public_key"]["key_id"]


def test_checkpoint_if_due__waits_for_the_interval(database_url, clock, connectors, tmp_path):
    settings = EngineSettings(require_claim=False, database_url=database_url, audit_key_file=str(tmp_path / "k"),
                              audit_checkpoint_seconds=3600)
    engine = Engine(settings=settings, clock=clock, connectors=connectors)
    engine.deploy(fixture_files("loop.bpmn"))
    instance_id = start(engine)
    assert engine.checkpoint_if_due()["seq"] == 1  # none yet: one now
    step(engine, instance_id)
    assert engine.checkpoint_if_due() is None  # the latest is younger than an hour
    eager = Engine(settings=EngineSettings(require_claim=False, database_url=database_url, audit_key_file=str(tmp_path / "k"),
                                           audit_checkpoint_seconds=0), clock=clock, connectors=connectors)
    assert eager.checkpoint_if_due()["seq"] == 2
    verify_every_instance(engine)
    eager.dispose()
    engine.dispose()


def test_worker_loop__makes_the_checkpoint_when_due(database_url, clock, connectors, tmp_path):
    from engine.workers.scheduler import WorkerService

    settings = EngineSettings(require_claim=False, database_url=database_url, audit_key_file=str(tmp_path / "k"))
    engine = Engine(settings=settings, clock=clock, connectors=connectors)
    engine.deploy(fixture_files("loop.bpmn"))
    start(engine)
    WorkerService(engine).run_once()
    assert engine.latest_checkpoint()["checkpoint"]["seq"] == 1
    verify_every_instance(engine)
    engine.dispose()


# -- what they catch --------------------------------------------------------------------

def test_checkpoint__a_rewritten_and_rehashed_chain_fails_verify(signed):
    covered = start(signed)
    step(signed, covered)
    signed.checkpoint()
    uncovered = start(signed)
    step(signed, uncovered)
    for instance_id in (covered, uncovered):
        mallory_did_it(signed, instance_id)
        assert signed.verify_chain(instance_id) is None  # the chain recomputes
    # Without a checkpoint this forgery is consistent everywhere: verify cannot see it.
    assert signed.verify(uncovered)["ok"] is True
    result = signed.verify(covered)
    assert result["ok"] is False and result["chain_ok"] is False and result["replay_ok"] is True
    assert result["checkpoint"]["status"] == "failed" and result["checkpoint"]["seq"] == 1
    signed_seq = result["checkpoint"]["event_seq"]
    finding = next(f for f in result["findings"] if f["kind"] == "checkpoint")
    assert finding["subject"] == f"event {signed_seq} hash" and finding["stored"] != finding["expected"]
    assert result["first_bad_seq"] == signed_seq
    forget(signed, covered)
    forget(signed, uncovered)


def test_checkpoint__a_removed_covered_tail_fails_verify_even_with_the_head_rewound(signed):
    instance_id = start(signed)
    step(signed, instance_id)
    signed.checkpoint()
    last = signed.history(instance_id)[-1].seq
    sql(signed, "delete from audit_event where instance_id = :i and seq > :s", i=instance_id, s=last - 3)
    sql(signed, "update instance set last_seq = :s, last_hash = (select hash from audit_event where "
                "instance_id = :i and seq = :s) where id = :i", s=last - 3, i=instance_id)
    result = signed.verify(instance_id)
    assert result["chain_ok"] is False and result["checkpoint"]["status"] == "failed"
    assert any(f["subject"] == f"event {last}" and "removed" in f["detail"] for f in result["findings"])
    forget(signed, instance_id)


def test_checkpoint__a_rewound_head_is_not_signed_again(signed, caplog):
    victim, other = start(signed), start(signed)
    step(signed, victim)
    signed.checkpoint()
    last = signed.history(victim)[-1].seq
    sql(signed, "delete from audit_event where instance_id = :i and seq = :s", i=victim, s=last)
    sql(signed, "update instance set last_seq = :s, last_hash = (select hash from audit_event where "
                "instance_id = :i and seq = :s) where id = :i", s=last - 1, i=victim)
    step(signed, other)
    with caplog.at_level(logging.ERROR, logger="diwan.audit"):
        assert signed.checkpoint()["seq"] == 2
    assert victim in caplog.text
    with signed.db.connect() as conn:
        leaves = conn.execute(sa.text("select checkpoint_seq from audit_checkpoint_leaf where instance_id = :i"),
                              {"i": victim}).scalars().all()
    assert leaves == [1]  # checkpoint 2 still holds the victim's old head
    result = signed.verify(victim)
    assert result["checkpoint"]["seq"] == 2 and result["checkpoint"]["status"] == "failed"
    forget(signed, victim)


@pytest.mark.parametrize("tamper, expected", [
    ("update audit_checkpoint set root = :x", "signature does not verify"),
    ("update audit_checkpoint_leaf set last_hash = :x where instance_id = :i", "root recomputed"),
    ("delete from audit_checkpoint_leaf where instance_id = :i", "leaf rows are stored"),
])
def test_checkpoint__altered_checkpoint_rows_fail_verify(signed, tamper, expected):
    a, b = start(signed), start(signed)
    signed.checkpoint()
    sql(signed, tamper, x="e" * 64, i=a)
    result = signed.verify(b)  # an intact instance can no longer be vouched for either
    assert result["ok"] is False and result["chain_ok"] is False
    assert result["checkpoint"]["status"] == "failed" and expected in result["checkpoint"]["detail"]
    sql(signed, "delete from audit_checkpoint_leaf")
    sql(signed, "delete from audit_checkpoint")


def test_checkpoint__one_signed_with_another_key_is_refused(signed):
    """The attacker re-signs a forged checkpoint with a key of their own: the public key that
    counts is the key file's, not one in the database."""
    from engine.audit.checkpoint_format import signed_text
    from engine.audit.signing import SigningKey

    instance_id = start(signed)
    signed.checkpoint()
    mallory_did_it(signed, instance_id)
    forged_key = SigningKey(Ed25519PrivateKey.generate(), None)
    head = signed.history(instance_id)[-1]
    with signed.db.begin() as conn:
        row = conn.execute(sa.text("select seq, at, prev from audit_checkpoint")).first()
        at = signed.latest_checkpoint()["checkpoint"]["at"]
        from engine.audit.merkle import root

        new_root = root([(instance_id, head.seq, head.hash)])
        conn.execute(sa.text("update audit_checkpoint_leaf set last_hash = :h"), {"h": head.hash})
        conn.execute(sa.text("update audit_checkpoint set root = :r, key_id = :k, signature = :s"),
                     {"r": new_root, "k": forged_key.key_id,
                      "s": forged_key.sign(signed_text(row.seq, at, new_root, 1, row.prev, forged_key.key_id))})
    result = signed.verify(instance_id)
    assert result["chain_ok"] is False and "the audit key file holds" in result["checkpoint"]["detail"]
    forget(signed, instance_id)
    sql(signed, "delete from audit_checkpoint_leaf")
    sql(signed, "delete from audit_checkpoint")


def test_checkpoints__deleted_ones_are_found_by_their_sequence_and_by_an_anchor_held_outside(signed):
    instance_id = start(signed)
    signed.checkpoint()
    for _ in range(2):
        step(signed, instance_id)
        signed.checkpoint()
    held = json.loads(json.dumps(signed.anchor()))  # a third party keeps checkpoint 3
    assert held["seq"] == 3 and signed.verify_checkpoints(held) == []
    sql(signed, "delete from audit_checkpoint_leaf where checkpoint_seq = 2")
    sql(signed, "delete from audit_checkpoint where seq = 2")
    assert "checkpoint 2 is missing (the next one is 3)" in signed.verify_checkpoints()
    sql(signed, "delete from audit_checkpoint_leaf where checkpoint_seq = 3")
    sql(signed, "delete from audit_checkpoint where seq = 3")
    assert signed.verify_checkpoints() == []  # a removed tail leaves a consistent sequence...
    problems = signed.verify_checkpoints(held)  # ...which the anchor held outside contradicts
    assert "checkpoint 3, held by the anchor, is missing from the database" in problems
    assert "the database's latest checkpoint is 1, older than the anchor's 3" in problems
    forged = dict(held, root="0" * 64)
    assert "the anchor (checkpoint 3) is not signed by the audit key" in signed.verify_checkpoints(forged)
    # Checkpoint 1's leaf row was superseded (and removed) by checkpoint 3's: what is left no
    # longer adds up to checkpoint 1's root, so the instance cannot be vouched for either.
    assert "leaf rows are stored" in signed.verify(instance_id)["checkpoint"]["detail"]
    sql(signed, "delete from audit_checkpoint")


def test_checkpoints__an_instance_deleted_behind_the_engine_is_reported(signed):
    kept, gone = start(signed), start(signed)
    signed.checkpoint()
    forget(signed, gone)
    assert signed.verify_checkpoints() == [f"instance {gone}, signed by checkpoint 1, is missing from the database"]
    assert signed.verify(kept)["ok"] is True
    step(signed, kept)
    assert signed.checkpoint()["leaf_count"] == 2  # the missing instance stays in the tree


def test_checkpoints__a_removed_run_of_them_is_named_once(signed):
    instance_id = start(signed, limit=10)
    signed.checkpoint()
    for _ in range(4):
        step(signed, instance_id)
        signed.checkpoint()
    sql(signed, "delete from audit_checkpoint where seq in (2, 3)")  # their leaf rows were superseded
    assert signed.verify_checkpoints() == ["checkpoint 2-3 is missing (the next one is 4)"]
    assert signed.verify(instance_id)["ok"] is True  # the latest (5) still vouches for the instance
    sql(signed, "delete from audit_checkpoint_leaf")
    sql(signed, "delete from audit_checkpoint")
