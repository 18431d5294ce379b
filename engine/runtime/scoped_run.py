"""The variable scopes and listeners of a run: WorkflowRun's part that applies Camunda mappings.

Scopes (runtime/scopes.py) live in the internal data of the tasks that open them; a task sees the
root (the instance's variables, or an isolated call's) under its scopes' locals, and a write goes
to the innermost scope that holds the name, else to the root. Listeners run as scripts over that
view. Every evaluation leaves an audit event (`scope_opened`, `listener_ran`) that a replay
produces again.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import CallActivity

from . import scopes
from .ids import id_text
from .script_engine import snapshot

_MISSING = object()


class ScopedRun:
    """Mixin of WorkflowRun (which holds `variables`, `events`, `engine`, `_checked`, the flags)."""

    def scope_chain(self, task) -> tuple[list[dict], dict]:
        """The scopes whose locals `task` sees, innermost first, and the root its writes fall back
        to (the instance's variables, or the variables of the isolated call it runs in)."""
        chain: list[dict] = []
        t, jumped = task, False
        while t is not None:
            if t is task or jumped:
                scope = t.internal_data.get(scopes.SCOPE)
                if scope is not None:
                    if not t.internal_data.get(scopes.ISOLATED):
                        chain.append(scope)
                    elif jumped:
                        return chain, scope
            parent = t.parent
            if parent is None:
                wf = t.workflow
                parent_id = getattr(wf, "parent_task_id", None)
                t = wf.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
                jumped = True
            else:
                t, jumped = parent, False
        return chain, self.variables

    def _view(self, chain: list[dict], root: dict) -> dict:
        view = snapshot(root)
        for scope in reversed(chain):
            view.update(snapshot(scope))
        return view

    def enter_activity(self, task) -> None:
        """An activity with Camunda mappings or listeners became ready: open its scope, run its
        start execution listeners, and a user task's create task listeners."""
        if scopes.opens_scope(task.task_spec):
            self.enter_scope(task)
        self.run_listeners(task, "start")
        callee = self._callee(task)
        if callee is not None:  # the called process's start listeners, before its start event
            self._process_listeners(callee, "start", *self._callee_view(task), task=task)
        if task.task_spec.manual:
            self.run_listeners(task, "create")

    def run_listeners(self, task, event: str) -> None:
        """Run the activity's Python listener scripts for `event` over the variables it sees; what
        they change is written as a script's changes are (an audit event each)."""
        scripts = ((task.task_spec.extensions or {}).get("camunda:listeners") or {}).get(event)
        if scripts:
            chain, root = self.scope_chain(task) if self._has_scopes else ([], self.variables)
            self._listen(scripts, event, chain, root, task.task_spec.bpmn_id, task)

    def _process_listeners(self, process_spec, event: str, chain: list[dict], root: dict, task=None) -> None:
        """A process's own execution listeners (bpmn:process extension elements), at its start or
        end; a called process's run over the callee's variables."""
        scripts = (getattr(process_spec, "camunda_listeners", None) or {}).get(event)
        if scripts:
            self._listen(scripts, event, chain, root, process_spec.name, task)

    def _callee(self, task):
        """The process a call activity calls, when it has listeners of its own."""
        if not isinstance(task.task_spec, CallActivity):
            return None
        callee = self.wf.subprocess_specs.get(task.task_spec.spec)
        return callee if getattr(callee, "camunda_listeners", None) else None

    def _callee_view(self, task) -> tuple[list[dict], dict]:
        """The scopes and root a called process's tasks see (its call's scope when isolated)."""
        if task.internal_data.get(scopes.ISOLATED):
            return [], task.internal_data[scopes.SCOPE]
        return self.scope_chain(task) if self._has_scopes else ([], self.variables)

    def _listen(self, scripts, event: str, chain: list[dict], root: dict, element: str, task) -> None:
        for script in scripts:
            view = self._view(chain, root)
            before = snapshot(view)
            self.engine.current_element = element
            try:
                self.engine.execute_over(view, script)
            except Exception as exc:
                if task is None:
                    from .workflow_run import StepFailed  # imported here: workflow_run imports this module

                    raise StepFailed(element, f"{event} listener: {type(exc).__name__}: {exc}") from exc
                raise WorkflowTaskException(f"{event} listener: {type(exc).__name__}: {exc}", task=task,
                                            exception=exc) from exc
            changed = self._checked({k: v for k, v in view.items()
                                     if not k.startswith("_") and (k not in before or before[k] != v)})
            changes = self._propagate(changed, chain, root)
            deleted = []
            for key in (k for k in before if k not in view):
                holder = next((scope for scope in chain if key in scope), root)
                if holder.pop(key, _MISSING) is not _MISSING and holder is self.variables:
                    deleted.append(key)
            payload: dict[str, Any] = {"event": event}
            if changes:
                payload["changes"] = changes
            if deleted:
                payload["deleted"] = deleted
            if self._scoped_writes:
                payload["scoped"] = {"changes": self._scoped_writes, "deleted": []}
                self._scoped_writes = {}
            recorded = self.engine.recorder.take(element)
            if recorded:
                payload["recorded"] = recorded
            self.events.append({"type": "listener_ran", "element_id": element,
                                "task_id": id_text(task.id) if task is not None else None, "payload": payload})
            if task is not None:
                task.data.update(snapshot(changed))

    def scoped(self, task) -> bool:
        """Whether a task's variables are not simply the instance's (scopes or listeners)."""
        if not (self._has_scopes or self._has_hooks):
            return False
        chain, root = self.scope_chain(task)
        return bool(chain) or root is not self.variables or scopes.has_hooks(task.task_spec)

    def scope_locals(self, task) -> dict:
        """The variables of the scopes a task is in (an external task's local variables); inside an
        isolated call they are all the task sees, which `_isolated` says to the fetch."""
        if not self._has_scopes:
            return {}
        chain, root = self.scope_chain(task)
        view = {} if root is self.variables else {**snapshot(root), "_isolated": True}
        for scope in reversed(chain):
            view.update(snapshot(scope))
        return view

    def external_done(self, task, variables: dict) -> dict:
        """A worker completed an external task in a scope: its variables are written as a task's
        (to the scope holding each name), then the outputs and end listeners run."""
        self._seed(task)
        task.data.update(snapshot(variables))
        changes = self._write_back(task)
        changes = {**changes, **self._leave_scope(task)}
        self._scoped_writes, self._scoped_deletes = {}, []
        self.run_listeners(task, "end")
        return changes

    def enter_scope(self, task) -> None:
        """Open the scope of an activity with camunda:inputOutput or camunda:in/out: its inputs,
        evaluated over what is in view outside it, become its locals (an audit event records them
        and the recorded functions they called)."""
        chain, root = self.scope_chain(task)
        local, isolated = scopes.inputs(self.engine, task, self._view(chain, root))
        local = self._checked(local)
        task.internal_data[scopes.SCOPE] = local
        if isolated:
            task.internal_data[scopes.ISOLATED] = True
        payload: dict[str, Any] = {"locals": local}
        recorded = self.engine.recorder.take(task.task_spec.bpmn_id)
        if recorded:
            payload["recorded"] = recorded
        self.events.append({"type": "scope_opened", "element_id": task.task_spec.bpmn_id,
                            "task_id": id_text(task.id), "payload": payload})

    def _leave_scope(self, task) -> dict:
        """An activity with a scope completed: its outputs (or a call's camunda:out) are written
        from its parent scope up; returns the instance variables that changed."""
        scope = task.internal_data.get(scopes.SCOPE)
        if scope is None or not scopes.opens_scope(task.task_spec):
            return {}
        isolated = bool(task.internal_data.get(scopes.ISOLATED))
        chain, root = self.scope_chain(task)
        if not isolated:
            chain = chain[1:]  # its own scope: the outputs go to its parent
        data = {} if isolated else snapshot(task.data)  # seeded with its view, then what it changed
        out = self._checked(scopes.outputs(self.engine, task, data, scope))
        changes = self._propagate(out, chain, root)
        if isolated:  # what follows the call inherits the caller's view, not the callee's variables
            task.data.clear()
            task.data.update(self._view(chain, root))
        return changes

    def _propagate(self, values: dict, chain: list[dict], root: dict) -> dict:
        """Write each value to the innermost scope holding its name, else to the root (Camunda's
        setVariable); returns what reached the instance's variables."""
        changes: dict = {}
        for key, value in values.items():
            target = next((scope for scope in chain if key in scope), root)
            target[key] = value
            if target is self.variables:
                changes[key] = value
            else:
                self._scoped_writes[key] = value
        return changes

    def _caught_error(self, task) -> dict:
        """camunda:errorCodeVariable / errorMessageVariable of the error event that caught."""
        caught = task.internal_data.get("diwan_error")
        definition = getattr(task.task_spec, "event_definition", None)
        if caught is None or definition is None:
            return {}
        values = {}
        for attr, key in (("code_variable", "code"), ("message_variable", "message")):
            name = getattr(definition, attr, None)
            if name:
                values[name] = caught.get(key)
        if not values:
            return {}
        chain, root = self.scope_chain(task) if self._has_scopes else ([], self.variables)
        return self._propagate(self._checked(values), chain, root)
