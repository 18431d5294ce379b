"""Long-lived instances: loops through wait states stay correct and their stored state bounded."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from engine import Actor
from tests.conftest import fixture_files

CLERK = Actor("amina", groups=("clerks", "g"), roles=("clerk",))


def _state_size(engine, instance_id) -> int:
    with engine.db.connect() as conn:
        return conn.execute(sa.text("select length(state) + (select coalesce(sum(length(body)), 0) from instance_task "
                                    "where instance_id = :i) from instance where id = :i"), {"i": instance_id}).scalar_one()


def test_loop__10000_iterations_through_a_user_task(engine):
    engine.deploy(fixture_files("loop.bpmn"))
    inst = engine.start("loop", {"count": 0, "limit": 10_000}, actor=CLERK)
    sizes = {}
    for i in range(1, 10_001):
        [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
        after = engine.complete_task(task.id, {}, actor=CLERK)
        if i in (10, 10_000 - 1):
            sizes[i] = _state_size(engine, inst.id)
    assert after.status == "completed"
    assert after.data == {"count": 10_000, "limit": 10_000}
    assert sizes[9_999] <= sizes[10] * 1.1  # bounded: the task tree does not grow with the loop
    history = engine.history(inst.id)
    assert sum(1 for e in history if e.type == "task_completed") == 10_000
    assert [e.seq for e in history] == list(range(1, len(history) + 1))


def test_loop__with_parallel_branches_and_boundary_timers_stays_correct(engine, clock):
    engine.deploy(fixture_files("loop_rich.bpmn"))
    inst = engine.start("loop_rich", {"rounds": 0, "limit": 60, "reminders": 0}, actor=CLERK)
    sizes = []
    for i in range(60):
        clock.advance(timedelta(minutes=31))
        assert engine.fire_due_timers() == 1  # the 30-minute wait
        if i % 2:
            clock.advance(timedelta(minutes=30))
            assert engine.fire_due_timers() == 1  # the non-interrupting reminder
        [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
        after = engine.complete_task(task.id, {}, actor=CLERK)
        sizes.append(_state_size(engine, inst.id))
    assert after.status == "completed"
    assert after.data["rounds"] == 60 and after.data["reminders"] == 30
    assert engine.timers(inst.id) == []
    assert max(sizes[10:]) <= sizes[5] * 1.3


def test_compaction__after_an_embedded_subprocess(engine):
    # The pruned subprocess's calling task used to make every later command fail.
    engine.deploy(fixture_files("subprocess_then_steps.bpmn"))
    inst = engine.start("sub_then_steps", {}, actor=CLERK)
    for element in "abcde":
        [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
        assert task.element_id == element
        after = engine.complete_task(task.id, {}, actor=CLERK)
    assert after.status == "completed" and after.data == {"inside_done": True}
