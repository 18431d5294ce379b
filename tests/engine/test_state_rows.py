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
    inst = engine.start("wide_case", {"items": list(range(40))}, actor=CLERK)  # rows from 64 tasks
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
    assert header["format"] == workflow_state.SPLIT_FORMAT and "tasks" not in header and len(rows) > 64
    engine.live.clear()
    for task in engine.list_tasks(see_all=True, instance_id=inst.id).items:
        engine.complete_task(task.id, {}, actor=CLERK)
    assert engine.get_instance(inst.id).status == "completed"


def test_a_small_state_is_one_document_until_it_grows(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    small = engine.start("wide_case", {"items": [1, 2, 3]}, actor=CLERK)
    wide = engine.start("wide_case", {"items": list(range(40))}, actor=CLERK)
    with engine.db.connect() as conn:
        assert orjson.loads(instances.state(conn, small.id).state)["format"] == workflow_state.STATE_FORMAT
        assert instance_tasks.rows(conn, small.id) == []
        assert orjson.loads(instances.state(conn, wide.id).state)["format"] == workflow_state.SPLIT_FORMAT
    for task in engine.list_tasks(see_all=True, instance_id=wide.id, per_page=50).items[:30]:
        engine.complete_task(task.id, {}, actor=CLERK)
    engine.live.clear()
    for task in engine.list_tasks(see_all=True, instance_id=wide.id, per_page=50).items:
        engine.complete_task(task.id, {}, actor=CLERK)
    assert engine.get_instance(wide.id).status == "completed"


def test_a_change_the_journal_does_not_see_fails_the_check(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(40))}, actor=CLERK)
    run = engine.live.take(inst.id, 1)
    ready = next(t for t in run.wf.tasks.values() if t.task_spec.name == "review [child]")
    ready.internal_data["edited"] = True  # in place, behind SpiffWorkflow's and the journal's back
    with engine.db.connect() as conn:
        rows = instance_tasks.rows(conn, inst.id)
    with pytest.raises(AssertionError, match="stored stale"):
        workflow_state.check_rows(run.wf, rows)
    del ready.internal_data["edited"]
    workflow_state.check_rows(run.wf, rows)


def test_a_completion_in_a_wide_case_writes_rows_of_a_constant_size(engine):
    # The multi-instance task waits for every instance: its row once held the ids of all its
    # children and of those that ended, and its data held the collection, rewritten at each
    # completion. Now the child lists are rebuilt from the rows, and an unchanged row is not written.
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(300))}, actor=CLERK)
    tasks = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=5).items
    written = []
    for task in tasks:
        before = _rows(engine, inst.id)
        engine.complete_task(task.id, {}, actor=CLERK)
        after = _rows(engine, inst.id)
        written.append(sorted(len(body) for t, body in after.items() if before.get(t) != body))
    assert all(len(w) == 1 and w[0] < 600 for w in written), written  # the completed task's row only
    body = orjson.loads(_rows(engine, inst.id)[tasks[0].id])
    assert "children" not in body and body["merged_at"] == 0


def test_child_and_merged_lists_are_rebuilt_in_order_when_restored(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(40))}, actor=CLERK)
    tasks = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=50).items
    assert len(tasks) == 40
    for task in reversed(tasks[:7]):  # merged in another order than created
        engine.complete_task(task.id, {}, actor=CLERK)
    engine.live.clear()
    with engine.db.connect() as conn:
        head = instances.state(conn, inst.id)
        rows = instance_tasks.rows(conn, inst.id)
    state = workflow_state.assemble(head.state, rows)
    parent = next(t for t in state["tasks"].values() if t["task_spec"] == "review" and t["children"])
    assert parent["internal_data"]["merged"] == [t.id for t in reversed(tasks[:7])]
    # Its instances and the task it leads to (predicted); the order is the tree's (DIWAN_STATE_CHECK
    # compares the rebuilt lists with the running tree at every save).
    assert {t.id for t in tasks} < set(parent["children"]) and len(parent["children"]) == 41
    for task in tasks[7:]:  # the restored case runs to its end (and every save is checked)
        engine.complete_task(task.id, {}, actor=CLERK)
    assert engine.get_instance(inst.id).status == "completed"


def test_merged_instances_out_of_sequence_are_refused(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(40))}, actor=CLERK)
    task = engine.list_tasks(see_all=True, instance_id=inst.id, per_page=1).items[0]
    engine.complete_task(task.id, {}, actor=CLERK)
    with engine.db.connect() as conn:
        head = instances.state(conn, inst.id)
        rows = instance_tasks.rows(conn, inst.id)
    edited = [r._replace(body=r.body.replace('"merged_at":0', '"merged_at":3')) for r in rows]  # behind our back
    assert edited != rows
    with pytest.raises(ValueError, match="merged instances are not numbered"):
        workflow_state.assemble(head.state, edited)


def test_a_multi_instance_that_ended_keeps_its_own_merged_list(engine):
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": list(range(40))}, actor=CLERK)  # `prepare` ended at the start
    bodies = [orjson.loads(b) for b in _rows(engine, inst.id).values()]
    prepare = next(b for b in bodies if b["task_spec"] == "prepare" and "instances" in b["internal_data"])
    assert len(prepare["internal_data"]["merged"]) == 40
    review = next(b for b in bodies if b["task_spec"] == "review" and "instances" in b["internal_data"])
    assert review["internal_data"]["merged"] == workflow_state.MERGED_IN_CHILDREN
