"""The engine's workflow classes walk the task tree exactly as SpiffWorkflow's do.

engine/runtime/fast_workflow.py replaces SpiffWorkflow's generic tree iterator by a
tighter one. Two checks, on every fixture process and every betsy process:

- the same run, twice in lockstep: once on SpiffWorkflow's `BpmnWorkflow` (with the engine's
  step order, runtime/interrupting_steps.py, which interrupts at once and is tested on its own in
  test_bpmn_coverage.py), once on `DiwanWorkflow`, same spec, same inputs: every step runs the same tasks in the same
  order, after it both trees hold the same tasks in the same states with the same data,
  and a failure fails both alike;
- at every step, each query SpiffWorkflow makes returns the same tasks in the same order
  from both iterators.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.definitions import safe_xml
from engine.definitions.spec_cache import build_spec
from engine.definitions.translate import translate_bpmn, translate_dmn
from engine.runtime.fast_workflow import DiwanSubWorkflow, DiwanTask, DiwanWorkflow, iter_tasks
from engine.runtime.interrupting_steps import InterruptFirstSteps
from engine.runtime.script_engine import DiwanScriptEngine
from engine.runtime.workflow_run import WorkflowRun
from engine.runtime import workflow_state
from tests.conformance.betsy_harness import corpus_dir, load_corpus, rewrite_bpmn

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
MAX_STEPS = 60
# The queries SpiffWorkflow's BPMN code makes of a workflow's tree (state, manual, spec name, end-at spec).
QUERIES = [
    {}, {"state": TaskState.READY}, {"state": TaskState.WAITING}, {"state": TaskState.NOT_FINISHED_MASK},
    {"state": TaskState.READY, "manual": True}, {"state": TaskState.READY, "manual": False},
    {"state": TaskState.FINISHED_MASK}, {"state": TaskState.COMPLETED}, {"skip_subprocesses": True},
    {"state": TaskState.PREDICTED_MASK},
]


def _fixture_specs():
    dmn = [(p.name, safe_xml.parse(p.read_bytes())) for p in sorted(FIXTURES.glob("*.dmn"))]
    for _, root in dmn:
        translate_dmn(root, "rate.dmn")
    for path in sorted(FIXTURES.glob("*.bpmn")):
        root = safe_xml.parse(path.read_bytes())
        translate_bpmn(root, path.name)
        for process in root.iterfind("{http://www.omg.org/spec/BPMN/20100524/MODEL}process"):
            if process.get("isExecutable") != "false":
                yield pytest.param(path.name, root, dmn, process.get("id"), {"amount": 150, "items": [1, 2, 3]},
                                   id=f"{path.stem}:{process.get('id')}")


def _betsy_specs():
    root_dir = corpus_dir()
    if root_dir is None:
        return
    for test in load_corpus(root_dir):
        root = safe_xml.parse(rewrite_bpmn(test.bpmn.read_bytes()))
        if translate_bpmn(root, test.bpmn.name) or not _parses(test.bpmn.name, root, test.main_process_id):
            continue  # a file the engine refuses never runs
        for case in test.cases[:2]:
            yield pytest.param(test.bpmn.name, root, [], test.main_process_id, {"trace": [], **case.inputs},
                               id=f"betsy:{test.name}:{case.number}")


def _parses(filename, root, process_id) -> bool:
    try:
        built = build_spec(process_id, [(filename, root)], [])
        BpmnWorkflow(built.spec, built.subprocess_specs)
    except (ValidationException, WorkflowException):  # refused at deploy
        return False
    return True


def _script_engine():
    return DiwanScriptEngine(now=lambda: NOW, tz=ZoneInfo("Africa/Casablanca"), max_steps=10_000)


def _picture(wf) -> list:
    """The whole tree, subprocesses included, as SpiffWorkflow's iterator walks it."""
    return [(t.task_spec.name, t.state, repr(sorted(t.data.items(), key=lambda kv: kv[0])))
            for t in BpmnTaskIterator(wf.task_tree)] + [wf.is_completed()]


def _same_answers(wf) -> None:
    for sub in [wf, *wf.subprocesses.values()]:
        for query in QUERIES:
            stock = list(BpmnTaskIterator(sub.task_tree, **query))
            assert list(iter_tasks(sub.task_tree, subprocesses=wf.subprocesses, **query)) == stock, query
            assert sub.get_tasks(**query) == stock, query
        assert list(iter_tasks(sub.task_tree, state=TaskState.WAITING)) == \
            list(TaskIterator(sub.task_tree, state=TaskState.WAITING))
        unfinished = next(TaskIterator(sub.task_tree, state=TaskState.NOT_FINISHED_MASK), None)
        assert sub.is_completed() is (sub.completed or unfinished is None)
        for spec_name in {t.task_spec.name for t in sub.tasks.values()}:
            assert sub.get_tasks(spec_name=spec_name) == list(BpmnTaskIterator(sub.task_tree, spec_name=spec_name))
            assert sub.get_tasks(end_at_spec=spec_name) == \
                list(BpmnTaskIterator(sub.task_tree, end_at_spec=spec_name))
        # DiwanTask.is_descendant_of (a loop) answers as Task's (recursive), against every
        # ancestor of the task, the task itself and the tree's first 30 tasks (other branches).
        tasks = list(sub.tasks.values())
        for task in tasks:
            ancestors, parent = [], task.parent
            while parent is not None:
                ancestors.append(parent)
                parent = parent.parent
            for other in [task, *ancestors, *tasks[:30]]:
                assert task.is_descendant_of(other) is Task.is_descendant_of(task, other)


def _step(wf, action) -> tuple[str, list[str]]:
    """Run `action`, then the engine steps; the outcome and the tasks run, in order."""
    ran: list[str] = []

    def record(task):
        ran.append(task.task_spec.name)

    try:
        action()
        wf.do_engine_steps(did_complete_task=record)
        wf.refresh_timers()
        wf.do_engine_steps(did_complete_task=record)
        return "ok", ran
    except Exception as exc:  # noqa: BLE001 - both classes must fail alike
        return f"{type(exc).__name__}: {exc}", ran


def _run(cls, spec, subs, data, check: bool):
    wf = cls(spec, subs, script_engine=_script_engine())
    pictures = []

    def start():
        wf.get_next_task(state=TaskState.READY).data.update(data)

    outcome, ran = _step(wf, start)
    pictures.append((outcome, ran, _picture(wf)))
    for i in range(MAX_STEPS):
        if outcome != "ok":
            break
        if check:
            _same_answers(wf)
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            break
        task = ready[i % len(ready)]

        def complete(task=task):
            task.data.update({"ok": True, "approved": i % 2 == 0, "answer": "oui"})
            task.run()

        outcome, ran = _step(wf, complete)
        pictures.append((outcome, ran, _picture(wf)))
    return wf, pictures


class StockWalkWorkflow(InterruptFirstSteps, BpmnWorkflow):
    """SpiffWorkflow's workflow and tree walk, with the engine's step order."""


@pytest.mark.parametrize("filename,root,dmn,process_id,data", [*_fixture_specs(), *_betsy_specs()])
def test_runs_alike_on_both_workflow_classes(filename, root, dmn, process_id, data):
    built = build_spec(process_id, [(filename, root)], dmn)
    stock_wf, stock = _run(StockWalkWorkflow, built.spec, built.subprocess_specs, data, check=False)
    fast_wf, fast = _run(DiwanWorkflow, built.spec, built.subprocess_specs, data, check=True)
    assert fast == stock
    assert type(stock_wf) is StockWalkWorkflow
    assert all(type(sub) is DiwanSubWorkflow for sub in fast_wf.subprocesses.values())
    assert all(type(sub) is BpmnSubWorkflow for sub in stock_wf.subprocesses.values())


def test_the_engine_creates_and_loads_its_own_classes():
    root = safe_xml.parse((FIXTURES / "subprocess_then_steps.bpmn").read_bytes())
    translate_bpmn(root, "subprocess_then_steps.bpmn")
    process_id = root.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process").get("id")
    built = build_spec(process_id, [("subprocess_then_steps.bpmn", root)], [])
    run = WorkflowRun.create(built.spec, built.subprocess_specs, _script_engine())
    run.attach(_script_engine(), 10_000)
    run.start({})
    assert type(run.wf) is DiwanWorkflow and run.wf.subprocesses
    assert _task_classes(run.wf) == {DiwanTask}
    blob = workflow_state.dump(run.wf)
    assert b'"typename":"BpmnWorkflow"' in blob  # stored under SpiffWorkflow's names
    loaded = workflow_state.load(blob, built.spec, built.subprocess_specs)
    assert type(loaded) is DiwanWorkflow
    assert {type(s) for s in loaded.subprocesses.values()} == {DiwanSubWorkflow}
    assert _task_classes(loaded) == {DiwanTask}
    assert _picture(loaded) == _picture(run.wf)


def _task_classes(wf) -> set[type]:
    return {type(t) for w in [wf, *wf.subprocesses.values()] for t in w.tasks.values()}


def _representative():
    root = safe_xml.parse((FIXTURES / "representative.bpmn").read_bytes())
    translate_bpmn(root, "representative.bpmn")
    return build_spec("representative", [("representative.bpmn", root)], [])


@pytest.mark.parametrize("level,written", [(logging.INFO, True), (logging.WARNING, False)])
def test_spiffworkflow_log_records_keep_their_details_when_written(caplog, level, written):
    built = _representative()
    with caplog.at_level(level, logger="spiff"):
        wf = DiwanWorkflow(built.spec, built.subprocess_specs, script_engine=_script_engine())
        wf.get_next_task(state=TaskState.READY).data.update({"amount": 5})
        wf.do_engine_steps()
    records = [r for r in caplog.records if r.name == "spiff.task" and r.getMessage().startswith("State changed")]
    assert bool(records) is written
    if written:  # the same details SpiffWorkflow gives its own tasks' records
        assert {"task_spec", "task_id", "state", "elapsed"} <= set(vars(records[0]))
        assert any(r.name == "spiff.workflow" and hasattr(r, "workflow_spec") for r in caplog.records)
    else:
        task = wf.get_next_task(state=TaskState.READY)
        assert task.collect_log_extras() == {}


# The betsy tests whose diagrams diwan refused before the interrupting step order existed
# (runtime/interrupting_steps.py): an interrupting signal/escalation boundary event caught from
# inside its activity, or an interrupting conditional boundary event.
_INTERRUPTED_AT_ONCE = {
    "Signal_BoundaryEvent_SubProcess_Interrupting", "Escalation_BoundaryEvent_SubProcess_Interrupting",
    "Signal_StartEvent_EventSubProcess_Interrupting", "Escalation_StartEvent_EventSubProcess_Interrupting",
    "Conditional_BoundaryEvent_SubProcess_Interrupting", "Conditional_StartEvent_EventSubProcess_Interrupting",
    "Signal_EndEvent_SubProcess",  # a signal end event (refused before) inside, caught by an interrupting boundary
}


@pytest.mark.parametrize("filename,root,dmn,process_id,data", [
    p for p in [*_fixture_specs(), *_betsy_specs()] if p.id.split(":")[1] not in _INTERRUPTED_AT_ONCE])
def test_step_order_is_spiffworkflows_where_nothing_interrupts_from_inside(filename, root, dmn, process_id, data):
    """The engine's step order changes nothing for the other diagrams (instances recorded before it
    replay alike): every fixture and every other betsy process runs as on stock BpmnWorkflow."""
    built = build_spec(process_id, [(filename, root)], dmn)
    _, stock = _run(BpmnWorkflow, built.spec, built.subprocess_specs, data, check=False)
    _, ours = _run(StockWalkWorkflow, built.spec, built.subprocess_specs, data, check=False)
    assert ours == stock
