"""Wide cases (issue 16): multi-instances of many items start and run without copying the case's
variables into each instance, two multi-instances may use the same item variable, and the step
budget stops loops, not wide multi-instances. (Sizes are reduced here; bench/wide_case.py carries
the big ones.)"""
from __future__ import annotations

import tracemalloc
from datetime import timedelta

import pytest

from engine import Actor, Engine, EngineSettings, ScriptError
from tests.conftest import fixture_files, verify_every_instance

CLERK = Actor("clerk", groups=("clerks",), roles=("clerk",))

DEFS = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
        '<bpmn:process id="p" isExecutable="true">{body}</bpmn:process></bpmn:definitions>')


def _open(engine, instance_id):
    return engine.list_tasks(see_all=True, instance_id=instance_id, per_page=500).items


def test_two_multi_instances_over_the_same_item_variable_run_one_after_the_other(engine):
    # SpiffWorkflow left the first one's `item` in the data the second inherited:
    # "Multiinstance input item item already exists."
    engine.deploy(fixture_files("wide_case.bpmn"))
    inst = engine.start("wide_case", {"items": [1, 2, 3]}, actor=CLERK)
    tasks = _open(engine, inst.id)
    assert sorted(t.element_id for t in tasks) == ["review"] * 3
    for task in tasks:
        engine.complete_task(task.id, {}, actor=CLERK)
    done = engine.get_instance(inst.id)
    assert done.status == "completed"
    assert "item" not in done.data  # each instance's item stayed its own


def test_an_item_variable_of_the_case_is_shadowed_inside_each_instance_and_kept_outside(engine):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="each"/>'
            '<bpmn:scriptTask id="each"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${items}" '
            'camunda:elementVariable="item"/><bpmn:script>seen = item</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="e"/><bpmn:endEvent id="e"/>')
    engine.deploy([("p.bpmn", DEFS.format(body=body).encode())])
    done = engine.start("p", {"items": ["a", "b"], "item": "outer"}, actor=CLERK)
    assert done.status == "completed"
    assert done.data["item"] == "outer" and done.data["seen"] in ("a", "b")


def test_instances_do_not_copy_the_case_variables(engine):
    # Each instance used to receive a copy of its parent's data: 300 instances of a case holding
    # a 20,000-item list held 300 copies of it (48 MB), and 50,000 items ran out of memory.
    engine.deploy(fixture_files("wide_case.bpmn"))
    big = list(range(20_000))
    engine.start("wide_case", {"items": [0], "big": big}, actor=CLERK)  # warm caches
    tracemalloc.start()
    try:
        inst = engine.start("wide_case", {"items": list(range(300)), "big": big}, actor=CLERK)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(_open(engine, inst.id)) == 300
    assert peak < 16_000_000, f"start took {peak / 1e6:.1f} MB"
    task = _open(engine, inst.id)[0]
    assert engine.complete_task(task.id, {}, actor=CLERK).data["big"] == big


def test_a_wide_multi_instance_is_not_a_runaway_loop_but_a_loop_still_is(database_url, clock):
    engine = Engine(settings=EngineSettings(database_url=database_url, max_steps=100), clock=clock)
    try:
        engine.deploy(fixture_files("wide_case.bpmn", "runaway.bpmn"))
        inst = engine.start("wide_case", {"items": list(range(400))}, actor=CLERK)  # 400 scripts, 400 tasks
        assert len(engine.list_tasks(see_all=True, instance_id=inst.id, per_page=500).items) == 400
        with pytest.raises(ScriptError) as err:
            engine.start("runaway", {"i": 0})
        assert "more than 100 engine steps" in err.value.message
        verify_every_instance(engine)
    finally:
        engine.dispose()


def test_a_loop_inside_each_instance_still_stops(database_url, clock):
    # The budget an instance grants is one pass through it: a subprocess that loops on its own
    # inside each instance is stopped like any loop.
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="each"/>'
            '<bpmn:subProcess id="each"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${items}" '
            'camunda:elementVariable="item"/>'
            '<bpmn:startEvent id="ss"/><bpmn:sequenceFlow id="g1" sourceRef="ss" targetRef="spin"/>'
            '<bpmn:scriptTask id="spin"><bpmn:script>n = 1</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="g2" sourceRef="spin" targetRef="again"/>'
            '<bpmn:exclusiveGateway id="again" default="g4"/>'
            '<bpmn:sequenceFlow id="g3" sourceRef="again" targetRef="spin"><bpmn:conditionExpression>n == 1'
            '</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="g4" sourceRef="again" targetRef="se"/><bpmn:endEvent id="se"/>'
            '</bpmn:subProcess><bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="e"/><bpmn:endEvent id="e"/>')
    engine = Engine(settings=EngineSettings(database_url=database_url, max_steps=100), clock=clock)
    try:
        engine.deploy([("p.bpmn", DEFS.format(body=body).encode())])
        with pytest.raises(ScriptError) as err:
            engine.start("p", {"items": [1, 2, 3]})
        assert "engine steps" in err.value.message
        assert engine.list_instances().total == 0
    finally:
        engine.dispose()


def test_a_timer_on_an_instance_reads_the_case_variables(engine, clock):
    # The instances hold only their item until they run: a boundary timer's duration, evaluated
    # between runs, still sees the case's variables.
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="each"/>'
            '<bpmn:userTask id="each" camunda:candidateGroups="clerks"><bpmn:multiInstanceLoopCharacteristics '
            'camunda:collection="${items}" camunda:elementVariable="item"/></bpmn:userTask>'
            '<bpmn:boundaryEvent id="late" attachedToRef="each" cancelActivity="false">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>${delay}</bpmn:timeDuration>'
            '</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
            '<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="remind"/>'
            '<bpmn:userTask id="remind" camunda:candidateGroups="clerks"/>'
            '<bpmn:sequenceFlow id="f4" sourceRef="remind" targetRef="e2"/><bpmn:endEvent id="e2"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="e"/><bpmn:endEvent id="e"/>')
    engine.deploy([("p.bpmn", DEFS.format(body=body).encode())])
    inst = engine.start("p", {"items": [1, 2], "delay": "PT2H"}, actor=CLERK)
    engine.advance_clock(by=timedelta(hours=1))
    assert sorted(t.element_id for t in _open(engine, inst.id)) == ["each", "each"]
    engine.advance_clock(by=timedelta(hours=2))
    assert "remind" in [t.element_id for t in _open(engine, inst.id)]


def test_a_user_task_instance_is_seeded_with_its_item_and_merges_nothing_into_its_parent(engine):
    # SpiffWorkflow merged each instance's data into its multi-instance task: the item and every
    # variable the instance had been seeded with, so the parent's data (stored at every save)
    # changed at each of 10,000 completions; each completion also copied the case's variables.
    from SpiffWorkflow.util.task import TaskState

    engine.deploy(fixture_files("wide_case.bpmn"))
    big = list(range(1000))
    inst = engine.start("wide_case", {"items": [0, 1, 2], "big": big}, actor=CLERK)
    done = engine.complete_task(_open(engine, inst.id)[0].id, {"note": "vu"}, actor=CLERK)
    assert done.data["note"] == "vu" and done.data["big"] == big and "item" not in done.data
    run = engine.live.take(inst.id, engine.get_instance(inst.id).version)
    parent = next(t for t in run.wf.get_tasks() if t.task_spec.bpmn_id == "review" and "instances" in t.internal_data)
    assert "note" not in parent.data and "item" not in parent.data
    waiting = next(t for t in run.wf.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == "review")
    run._seed(waiting)
    assert set(waiting.data) == {"item"}  # its form's data is what it changes: no copy of `big`
