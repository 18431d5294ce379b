"""The instance's state one row per task (issue 16): a command writes the rows of the tasks it
changed, not the whole tree; older one-document states are read and rewritten as rows; a
change the journal misses fails the check the suite runs on every save (DIWAN_STATE_CHECK)."""
from __future__ import annotations

import orjson
import pytest
import sqlalchemy as sa

from engine import Actor
from engine.db import instance_tasks, instances
from engine.runtime import workflow_state
from tests.conftest import fixture_files

CLERK = Actor("clerk", groups=("clerks",), roles=("clerk",))


def _rows(engine, instance_id) -> dict[str, str]:
    with engine.db.connect() as conn:
        return {r.task_id: r.body for r in conn.execute(
            sa.text("select task_id, body from instance_task where instance_id = :i"), {"i": instance_id})}


def test_completing_one_of_many_parallel_tasks_rewrites_a_few_rows(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(60))}, actor=CLERK)
    before = _rows(engine, inst.id)
    assert len(before) > 120  # 60 script instances, 60 user task instances and the path to them
    task = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=1).items[0]
    engine.complete_task(task.id, {}, actor=CLERK)
    after = _rows(engine, inst.id)
    changed = [t for t, body in after.items() if before.get(t) != body]
    assert task.id in changed and len(changed) <= 4, changed  # the task, its multi-instance parent
    assert set(before) - set(after) == set()


def test_a_restored_instance_writes_only_its_changes_too(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(20))}, actor=CLERK)
    engine.live.clear()  # the next command restores the case from its rows
    before = _rows(engine, inst.id)
    tasks = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=2).items
    engine.complete_task(tasks[0].id, {}, actor=CLERK)
    engine.live.clear()
    engine.complete_task(tasks[1].id, {}, actor=CLERK)
    after = _rows(engine, inst.id)
    assert len([t for t, body in after.items() if before.get(t) != body]) <= 6
    assert len(engine.list_tasks(see_all=True, instance_id=inst.id, per_page=50).items) == 18


def test_a_one_document_state_is_read_and_then_stored_as_rows(engine):
    """An instance written before migration 0060 keeps its state in instance.state until its next command."""
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": [1, 2, 3]}, actor=CLERK)
    run = engine.live.take(inst.id, 1)
    assert run is not None
    with engine.db.begin() as conn:
        conn.execute(sa.text("update instance set state = :s where id = :i"),
                     {"s": workflow_state.dump(run.wf).decode(), "i": inst.id})
        conn.execute(sa.text("delete from instance_task where instance_id = :i"), {"i": inst.id})
    engine.live.clear()
    tasks = engine.list_tasks(see_all=True, instance_id=inst.id).items
    engine.complete_task(tasks[0].id, {}, actor=CLERK)
    with engine.db.connect() as conn:
        header = orjson.loads(instances.state(conn, inst.id).state)
        rows = instance_tasks.rows(conn, inst.id)
    assert header["format"] == workflow_state.SPLIT_FORMAT and "tasks" not in header and len(rows) > 6
    engine.live.clear()
    for task in engine.list_tasks(see_all=True, instance_id=inst.id).items:
        engine.complete_task(task.id, {}, actor=CLERK)
    assert engine.get_instance(inst.id).status == "completed"


def test_a_change_the_journal_does_not_see_fails_the_check(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": [1, 2]}, actor=CLERK)
    run = engine.live.take(inst.id, 1)
    ready = next(t for t in run.wf.tasks.values() if t.task_spec.name == "review [child]")
    ready.internal_data["edited"] = True  # in place, behind SpiffWorkflow's and the journal's back
    with engine.db.connect() as conn:
        rows = instance_tasks.rows(conn, inst.id)
    with pytest.raises(AssertionError, match="stored stale"):
        workflow_state.check_rows(run.wf, rows)
    del ready.internal_data["edited"]
    workflow_state.check_rows(run.wf, rows)
