"""The stored state: diwan's one-pass converter writes what SpiffWorkflow's own converters write."""
from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.bpmn_converter import BpmnConverter

from engine import Actor
from engine.runtime import workflow_state
from tests.conftest import fixture_files

CLERK = Actor("amina", groups=("clerks", "finance", "g", "service_social", "evaluateurs"), roles=("admin",))


def _stock(wf) -> dict:
    """The state dictionary as SpiffWorkflow 3.2's converters build it (registry walk)."""
    registry = workflow_state._serializer().registry
    converter = BpmnConverter.__new__(BpmnConverter)
    converter.registry = registry
    dct = WorkflowConverter.to_dict(converter, wf)
    dct["subprocesses"] = {str(k): registry.convert(v) for k, v in wf.subprocesses.items()}
    dct["bpmn_events"] = registry.convert(wf.bpmn_events)
    dct["typename"] = "BpmnWorkflow"
    dct["format"] = workflow_state.STATE_FORMAT
    return orjson.loads(workflow_state.encode(dct))


def _stored_workflows(engine, instance_id):
    """The instance's workflow as loaded from its stored state."""
    from engine.db import instance_tasks, instances

    with engine.db.connect() as conn:
        head = instances.head(conn, instance_id)
        built = engine._built_spec(conn, head.definition_id, orjson.loads(head.bindings))
        blob = instances.state(conn, instance_id).state
        rows = instance_tasks.rows(conn, instance_id)
    return workflow_state.restore(blob, rows, built.spec, built.subprocess_specs)


@pytest.mark.parametrize("fixture, key, data, steps", [
    ("representative.bpmn", "representative", {"amount": 500}, 0),
    ("representative.bpmn", "representative", {"amount": 5}, 2),
    ("subprocess_then_steps.bpmn", "sub_then_steps", {}, 0),
    ("subprocess_then_steps.bpmn", "sub_then_steps", {}, 1),
    ("multi_instance.bpmn", "multi_instance", {"children": ["a", "b", "c"], "evaluators": ["x", "y"]}, 2),
    ("loop.bpmn", "loop", {"count": 0, "limit": 50, "rate": Decimal("0.15")}, 20),
])
def test_fast_converter__writes_what_spiffworkflow_writes(engine, fixture, key, data, steps):
    engine.deploy(fixture_files(fixture))
    inst = engine.start(key, data, actor=CLERK)
    for _ in range(steps):
        tasks = engine.list_tasks(see_all=True, instance_id=inst.id).items
        if not tasks:
            break
        engine.complete_task(tasks[0].id, {}, actor=CLERK)
    wf = _stored_workflows(engine, inst.id)
    assert orjson.loads(workflow_state.dump(wf)) == _stock(wf)
    # And it reads back into the same state.
    again = workflow_state.load(workflow_state.dump(wf), wf.spec, wf.subprocess_specs)
    assert orjson.loads(workflow_state.dump(again)) == _stock(wf)


def test_fast_converter__deltas_deletions_subprocesses_and_typed_values(engine):
    engine.deploy(fixture_files("subprocess_then_steps.bpmn"))
    inst = engine.start("sub_then_steps", {}, actor=CLERK)
    wf = _stored_workflows(engine, inst.id)
    assert wf.subprocesses, "the instance waits inside its subprocess"
    sub = next(iter(wf.subprocesses.values()))
    child = next(t for t in sub.tasks.values() if t.parent is not None)
    child.parent.data.update({"gone": 1, "kept": Decimal("2.50")})
    child.data = {"kept": Decimal("2.50"), "new": {"nested": [1, 2]}}
    wf.data["when"] = Decimal("1.5")
    assert orjson.loads(workflow_state.dump(wf)) == _stock(wf)
    delta = orjson.loads(workflow_state.dump(wf))["subprocesses"][str(sub.parent_task_id)]["tasks"][str(child.id)]["delta"]
    assert "gone" in delta["deletions"] and "new" in delta["updates"]
