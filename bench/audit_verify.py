"""Audit verification speed: the hash chain over 100,000+ events, and replay.

1. Chain: two looping instances (tests/fixtures/loop.bpmn, ~5 events per iteration)
   give over 100,000 events on a SQLite file; the chain is recomputed from the database
   (read, canonical JSON, sha256) and events/s printed.
2. Replay: instances of the representative process (start, review, two parallel tasks)
   and the demo instances of the ministry's processes (`diwan demo`) are re-executed from
   their records and compared; instances/s printed per process.
3. Full verify (chain, head, signed checkpoint, replay, stored projections) of the
   representative instances, and the time to sign a checkpoint over every instance.

Last line: `chain events/s: N`.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Actor, Engine, EngineSettings  # noqa: E402
from engine.audit.replay import replay  # noqa: E402

CLERK = Actor("bench", groups=("clerks", "finance"), roles=("clerk",))
FIXTURES = ROOT / "tests" / "fixtures"


def _replay_ministry_processes(tmp: str) -> dict[str, tuple[int, float]]:
    """Replay the demo instances of the ministry's processes (processes/bpmn, as `diwan demo` leaves them)."""
    from engine.demo import create_demo
    from engine.identity import UserStore

    engine = Engine(settings=EngineSettings(require_claim=False, database_url=f"sqlite:///{tmp}/demo.db"))
    engine.upgrade_schema()
    engine.deploy(sorted((ROOT / "processes" / "bpmn").glob("*.*")) + sorted((ROOT / "forms").glob("*.form")))
    create_demo(engine, UserStore(engine.db))
    out = {}
    by_key: dict[str, list[str]] = {}
    for inst in engine.list_instances(per_page=500).items:
        by_key.setdefault(inst.definition_key, []).append(inst.id)
    for key, ids in by_key.items():
        t0 = time.perf_counter()
        rounds = 20
        for _ in range(rounds):
            for instance_id in ids:
                assert replay(engine, [e.to_dict() for e in engine.history(instance_id)]).ok, (key, instance_id)
        out[key] = (len(ids), len(ids) * rounds / (time.perf_counter() - t0))
    engine.dispose()
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(settings=EngineSettings(require_claim=False, database_url=f"sqlite:///{tmp}/audit.db"))
        engine.upgrade_schema()
        engine.deploy([FIXTURES / "loop.bpmn", FIXTURES / "representative.bpmn"])
        looping = []
        for _ in range(2):
            inst = engine.start("loop", {"count": 0, "limit": 10_000}, actor=CLERK)
            for _ in range(10_000):
                [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
                engine.complete_task(task.id, {}, actor=CLERK)
            looping.append(inst.id)
        t0 = time.perf_counter()
        for instance_id in looping:
            assert engine.verify_chain(instance_id) is None
        chain_seconds = time.perf_counter() - t0
        total = sum(len(engine.history(i)) for i in looping)
        chain_rate = total / chain_seconds
        print(f"chain: {total:,} events verified (read from SQLite + recomputed)")

        ids = []
        for i in range(200):
            inst = engine.start("representative", {"amount": 10 + i}, actor=CLERK)
            for _ in range(3):
                task = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=1).items[0]
                engine.complete_task(task.id, {"ok": True}, actor=CLERK)
            ids.append(inst.id)
        t0 = time.perf_counter()
        for instance_id in ids:
            assert replay(engine, [e.to_dict() for e in engine.history(instance_id)]).ok
        replay_rate = len(ids) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        checkpoint = engine.checkpoint()
        checkpoint_seconds = time.perf_counter() - t0
        verifier = engine.checkpoint_verifier()
        t0 = time.perf_counter()
        for instance_id in ids:
            assert engine.verify(instance_id, verifier)["ok"]
        verify_rate = len(ids) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for instance_id in looping[:1]:
            assert replay(engine, [e.to_dict() for e in engine.history(instance_id)]).ok
        loop_seconds = time.perf_counter() - t0
        engine.dispose()
        per_process = _replay_ministry_processes(tmp)
    print(f"replay: {replay_rate:.0f} instances/s (representative process, 4 commands each)")
    for key, (count, rate) in sorted(per_process.items()):
        print(f"replay: {rate:.0f} instances/s ({key}, {count} demo instances)")
    print(f"replay: one 10,000-iteration instance in {loop_seconds:.1f} s")
    print(f"verify (chain, checkpoint, replay, projections): {verify_rate:.0f} instances/s (representative process)")
    print(f"checkpoint: {checkpoint['leaf_count']} instance heads signed in {checkpoint_seconds * 1000:.0f} ms")
    print(f"chain events/s: {chain_rate:,.0f}")


if __name__ == "__main__":
    main()
