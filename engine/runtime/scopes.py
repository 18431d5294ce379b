"""Variable scopes of Camunda mappings: an activity's `camunda:inputOutput` locals and the isolated
variables of a call activity with `camunda:in`/`camunda:out` (Camunda 7's variable scopes).

A scope is a dict kept in the internal data of the task that opens it (so it is stored with the
state and rebuilt identically by a replay, which re-runs the same evaluations). It applies to
that task and, for a sub-process or call activity, to every task of the workflow it runs. The
variables a task sees are the instance's (or, inside an isolated call, the callee's own), with the
enclosing scopes' locals over them; a write goes to the innermost scope that holds the name, else
to the root (Camunda's `setVariable` propagation). WorkflowRun applies these rules
(`scope_chain`, `_seed`, `_write_back`); this module evaluates the mappings.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import CallActivity

from ..definitions.io_mappings import RESULT

SCOPE = "diwan_scope"  # internal_data key: the scope's variables
ISOLATED = "diwan_isolated"  # internal_data key: the scope hides everything outside it (camunda:in/out)


def opens_scope(spec) -> bool:
    ext = getattr(spec, "extensions", None) or {}
    return "camunda:inputOutput" in ext or "camunda:in" in ext or "camunda:out" in ext


def isolates(spec) -> bool:
    ext = getattr(spec, "extensions", None) or {}
    return "camunda:in" in ext or "camunda:out" in ext


ENTERED = "diwan_entered"  # internal_data key: the activity's scope and start listeners ran


def has_hooks(spec) -> bool:
    return opens_scope(spec) or "camunda:listeners" in (getattr(spec, "extensions", None) or {})


class ScopedTask:
    """Task spec mixin: when the activity becomes ready (before a sub-process or a called process
    starts, before a user task is offered) its scope opens, then its start execution listeners
    and, for a user task, its create task listeners run (WorkflowRun.enter_activity)."""

    def _update_hook(self, my_task):
        if (has_hooks(self) or _calls_listening(self, my_task)) and ENTERED not in my_task.internal_data:
            run = getattr(my_task.workflow.script_engine, "run", None)
            if run is not None:
                my_task.internal_data[ENTERED] = True
                run.enter_activity(my_task)
        return super()._update_hook(my_task)


def _calls_listening(spec, task) -> bool:
    """A call activity whose called process has execution listeners of its own."""
    if not isinstance(spec, CallActivity):
        return False
    callee = task.workflow.top_workflow.subprocess_specs.get(spec.spec)
    return bool(getattr(callee, "camunda_listeners", None))


def value_of(engine, task, value: list, data: dict) -> Any:
    """A mapping value (io_mappings.py) evaluated over `data` (the variables in view)."""
    kind = value[0]
    try:
        if kind == "null":
            return None
        if kind == "text":
            return value[1]
        if kind == "var":
            return data.get(value[1])
        if kind == "expr":
            return engine.evaluate_over(data, value[1])
        if kind == "script":
            scratch = dict(data)
            engine.execute_over(scratch, value[1])
            return scratch.get(RESULT)
        if kind == "list":
            return [value_of(engine, task, v, data) for v in value[1]]
        if kind == "map":
            return {k: value_of(engine, task, v, data) for k, v in value[1]}
    except WorkflowTaskException:
        raise
    except Exception as exc:
        raise WorkflowTaskException(f"camunda mapping: {type(exc).__name__}: {exc}", task=task, exception=exc) from exc
    raise WorkflowTaskException(f"unknown mapping value {kind!r}", task=task)


def inputs(engine, task, view: dict) -> tuple[dict, bool]:
    """The scope a task opens, from the variables in view outside it; and whether it isolates."""
    ext = task.task_spec.extensions
    engine.current_element = task.task_spec.bpmn_id
    if isolates(task.task_spec):
        local: dict = {}
        for binding in ext.get("camunda:in") or []:
            if binding.get("all"):
                local.update(view)
            else:
                local[binding["target"]] = value_of(engine, task, binding["value"], view)
        return local, True
    local = {}
    for name, value in ext["camunda:inputOutput"]["inputs"]:
        local[name] = value_of(engine, task, value, {**view, **local})  # a later input may read an earlier one
    return local, False


def outputs(engine, task, data: dict, scope: dict) -> dict:
    """What an activity hands to its parent when it completes: its output parameters over its data,
    or a call's camunda:out bindings over the callee's variables (`scope`)."""
    ext = task.task_spec.extensions
    engine.current_element = task.task_spec.bpmn_id
    out: dict = {}
    if isolates(task.task_spec):
        for binding in ext.get("camunda:out") or []:
            if binding.get("all"):
                out.update(scope)
            else:
                out[binding["target"]] = value_of(engine, task, binding["value"], scope)
        return out
    for name, value in ext["camunda:inputOutput"]["outputs"]:
        out[name] = value_of(engine, task, value, data)
    return out
