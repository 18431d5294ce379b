"""The live-workflow cache: runs kept between commands, by (instance id, version)."""
from __future__ import annotations

from engine import Actor
from engine.runtime.live_cache import LiveCache
from tests.conftest import fixture_files

CLERK = Actor("amina", groups=("clerks", "finance"), roles=("clerk",))


def test_a_run_is_taken_once_and_only_at_its_version():
    cache = LiveCache(2)
    cache.put("a", 3, "run-a")
    assert cache.take("a", 2) is None  # stale: and the entry is gone
    assert cache.take("a", 3) is None
    cache.put("a", 3, "run-a")
    assert cache.take("a", 3) == "run-a"
    assert cache.take("a", 3) is None  # taken: no two commands share a run


def test_the_least_recently_put_goes_first_and_size_zero_keeps_nothing():
    cache = LiveCache(2)
    for key in ("a", "b", "c"):
        cache.put(key, 1, key)
    assert cache.take("a", 1) is None and cache.take("b", 1) == "b" and cache.take("c", 1) == "c"
    off = LiveCache(0)
    off.put("a", 1, "a")
    assert off.take("a", 1) is None


def test_the_engine_keeps_running_instances_and_drops_ended_ones(engine):
    engine.deploy(fixture_files("representative.bpmn"))
    inst = engine.start("representative", {"amount": 10}, actor=CLERK)
    assert engine.live._entries[inst.id][0] == inst.version
    run = engine.live._entries[inst.id][1]
    for _ in range(3):
        task = engine.list_tasks(see_all=True, instance_id=inst.id).items[0]
        inst = engine.complete_task(task.id, {}, actor=CLERK)
        if inst.status == "running":
            assert engine.live._entries[inst.id] == (inst.version, run)  # the same live run, moved on
    assert inst.status == "completed"
    assert inst.id not in engine.live._entries
    other = engine.start("representative", {"amount": 10}, actor=CLERK)
    engine.cancel(other.id)
    assert other.id not in engine.live._entries
