"""External tasks inside a run: which service tasks wait for a worker, and finishing them.

A service task whose `camunda:topic` names no registered connector waits in SpiffWorkflow's
STARTED state (runtime/service_task.py) until a worker reports on it through the external
task commands (commands/external_tasks.py), which call `complete` or `throw_error` here.
Both the commands and the replay (audit/replay.py) go through these functions, so a
replay re-applies a worker's report exactly as the engine did.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .ids import id_text
from .script_engine import snapshot
from .service_task import ConnectorServiceTask
from .workflow_run import StepFailed, WorkflowRun


@dataclass(frozen=True)
class ExternalWork:
    """An external task waiting for a worker, as the `external_task` table mirrors it."""

    id: str
    element_id: str
    topic: str
    priority: int = 0
    properties: dict[str, str] = field(default_factory=dict)
    local_variables: dict[str, Any] = field(default_factory=dict)  # a multi-instance item
    locator: tuple = ()  # the multi-instance indices above it (finds the same task in a replay)


_TOPICS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # process spec -> its service topics


def _topics(process_spec) -> frozenset[str]:
    known = _TOPICS.get(process_spec)
    if known is None:
        known = _TOPICS[process_spec] = frozenset(
            spec.topic() for spec in process_spec.task_specs.values()
            if isinstance(spec, ConnectorServiceTask) and spec.topic())
    return known


_MAY_WAIT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # top spec -> {registry id: bool}


def may_wait(run: WorkflowRun, connectors) -> bool:
    """Whether any service task of the run's process could be an external task (asked once per
    built spec and registry: every command asks, twice)."""
    wf = run.wf
    known = _MAY_WAIT.get(wf.spec)
    if known is None:
        known = _MAY_WAIT[wf.spec] = {}
    answer = known.get(id(connectors))
    if answer is None:
        answer = known[id(connectors)] = any(
            (connectors is None and topics) or any(topic not in connectors for topic in topics)
            for topics in map(_topics, (wf.spec, *wf.subprocess_specs.values())))
    return answer


def waiting(run: WorkflowRun, connectors) -> dict[str, ExternalWork]:
    """The run's external tasks waiting for a worker, by task id."""
    if not may_wait(run, connectors):
        return {}
    out: dict[str, ExternalWork] = {}
    for wf in (run.wf, *run.wf.subprocesses.values()):
        for task in wf.tasks.values():
            spec = task.task_spec
            if task._state == TaskState.STARTED and isinstance(spec, ConnectorServiceTask) \
                    and spec.is_external(connectors):
                ext = spec.extensions or {}
                tid = id_text(task.id)
                out[tid] = ExternalWork(
                    tid, spec.bpmn_id, spec.topic(), _priority(ext.get("camunda:taskPriority"), run.variables),
                    {k: v for k, v in ext.items() if not k.startswith("camunda:")},
                    {**run.scope_locals(task),
                     **{name: task.data[name] for name in _item_names(task) if name in task.data}}, locator(task))
    return out


def find(run: WorkflowRun, task_id: str, connectors):
    """The waiting external task `task_id` of the run, or None."""
    task = run.task(task_id)
    if task is None or task.state != TaskState.STARTED:
        return None
    spec = task.task_spec
    if not isinstance(spec, ConnectorServiceTask) or not spec.is_external(connectors):
        return None
    return task


def complete(run: WorkflowRun, task, variables: dict[str, Any]) -> dict[str, Any]:
    """A worker finished the task with these variables: set them, complete it, run on.

    A multi-instance item (or output item) the worker sets stays the instance's own, as a
    script's would. Returns the instance variables that changed.

    Raises:
        StepFailed: something after the task failed (the command rolls back).
    """
    if run.scoped(task):  # camunda:inputOutput, listeners, or inside a call with camunda:in/out
        changes = run.external_done(task, variables)
    else:
        changes = _set(run, task, variables)
    element = task.task_spec.bpmn_id
    try:
        task.complete()
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, SpiffWorkflowException) as exc:
        raise StepFailed(element, f"{type(exc).__name__}: {exc}") from exc
    run.step()
    return changes


def throw_error(run: WorkflowRun, task, code: str, message: str | None, variables: dict[str, Any]) -> dict | None:
    """A worker reported a BPMN error: set its variables, throw the error from the task, run on.

    Returns the variable changes, or None when no error event catches the error (then
    nothing is changed: the caller opens an incident).

    Raises:
        StepFailed: something after the error's catch failed.
    """
    before = dict(run.variables)
    data_before = dict(task.data)
    changes = _set(run, task, variables)
    event = BpmnEvent(ErrorEventDefinition(code, code=code),
                      payload={"error_code": code, "error_message": message}, target=task.workflow)
    top = task.workflow.top_workflow
    top.catch(event)
    if any(e is event for e in top.bpmn_events):  # nobody caught it
        top.bpmn_events.remove(event)
        run.variables.clear()
        run.variables.update(before)
        task.data.clear()
        task.data.update(data_before)
        return None
    run.step()
    return changes


def locator(task) -> tuple:
    """The multi-instance indices (`key_or_index`) of the task and its enclosing instances,
    innermost first: the same in any run of the same inputs (task ids are random)."""
    path, t = [], task
    while t is not None:
        if "key_or_index" in t.internal_data:
            path.append(t.internal_data["key_or_index"])
        parent = t.parent
        if parent is None:
            parent_id = getattr(t.workflow, "parent_task_id", None)
            parent = t.workflow.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
        t = parent
    return tuple(path)


def find_by_locator(run: WorkflowRun, element_id: str, wanted: tuple, connectors, taken) -> Any:
    """The waiting external task of `element_id` at `wanted` (a replay's), not in `taken`."""
    for work in waiting(run, connectors).values():
        if work.element_id == element_id and work.locator == tuple(wanted) and work.id not in taken:
            return run.task(work.id)
    return None


def _set(run: WorkflowRun, task, variables: dict[str, Any]) -> dict[str, Any]:
    items = _item_names(task)
    task.data.update(snapshot(run.variables))  # as a task the engine runs is seeded
    task.data.update(snapshot(variables))
    changes = {k: v for k, v in variables.items()
               if k not in items and (k not in run.variables or run.variables[k] != v)}
    run.variables.update(snapshot(changes))
    return changes


def _item_names(task) -> set[str]:
    """The multi-instance input and output item names of a task that is one instance."""
    names: set[str] = set()
    t = task
    while t is not None:
        parent = t.parent
        if "key_or_index" in t.internal_data and parent is not None:
            for item in (getattr(parent.task_spec, "input_item", None), getattr(parent.task_spec, "output_item", None)):
                if item is not None:
                    names.add(item.bpmn_id)
        if parent is None:
            parent_id = getattr(t.workflow, "parent_task_id", None)
            parent = t.workflow.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
        t = parent
    return names


def _priority(text: str | None, variables: dict) -> int:
    """`camunda:taskPriority`: an integer or `${variable}` holding one (anything else: 0), as Camunda's
    priority a 32-bit one."""
    if text is None:
        return 0
    text = text.strip()
    value: Any = text
    if text.startswith("${") and text.endswith("}"):
        value = variables.get(text[2:-1].strip())
    try:
        number = int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(-(2 ** 31), min(2 ** 31 - 1, number))  # the column is a 32-bit integer


def reapply(run: WorkflowRun, event: dict, task_map: dict) -> bool:
    """Replay a recorded worker report (`external_task_completed` or `external_task_bpmn_error`)
    on the same task of a replayed run (found by element and multi-instance position, its id
    being the replay's own); False when no such task waits."""
    from .workflow_state import untyped

    connectors = run.engine.connectors
    payload = event["payload"]
    task = find(run, task_map[event["task_id"]], connectors) if event["task_id"] in task_map else None
    if task is None:
        task = find_by_locator(run, event["element_id"], tuple(payload.get("locator") or ()), connectors,
                               set(task_map.values()))
    if task is None:
        return False
    task_map[event["task_id"]] = id_text(task.id)
    variables = untyped(payload.get("variables") or {})
    if event["type"] == "external_task_completed":
        complete(run, task, variables)
    else:
        throw_error(run, task, payload["error_code"], payload.get("error_message"), variables)
    return True
