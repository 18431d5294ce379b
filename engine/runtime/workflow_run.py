"""WorkflowRun: the only code that drives SpiffWorkflow (start, complete, fire, correlate, step).

A run wraps one live `BpmnWorkflow` and the instance's variables. The engine keeps the
variables itself (ARCHITECTURE.md, "Variables"): before a task runs its data is seeded
from them, after it ran what it changed is written back, so a write on any branch is
visible everywhere; a multi-instance item variable stays local to its instance. Every
step leaves an audit record in `self.events` for the command to append.
"""
from __future__ import annotations

import ast
import weakref
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    CallActivity,
    EventBasedGateway,
    ExclusiveGateway,
    InclusiveGateway,
    ParallelGateway,
    StartEvent,
    TransactionSubprocess,
)
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import spiff_fixes  # noqa: F401  (applies the workarounds on import)
from .compaction import compact
from .fast_workflow import DiwanWorkflow
from .ids import id_text
from . import scopes, state_journal, wide_projection
from .wide_projection import WideProjection
from .scoped_run import ScopedRun
from .extension_scripts import CAUGHT, PayloadItems
from .script_engine import DiwanScriptEngine, snapshot
from .timer_events import due_time
from ..values import InvalidValue, ValueLimits, check_variables


class RunawayLoop(RuntimeError):
    """The command ran more engine steps than allowed without reaching a wait state."""


class StepFailed(RuntimeError):
    """A script, condition, decision or connector failed while the engine ran."""

    def __init__(self, element: str | None, message: str):
        super().__init__(f"{element}: {message}")
        self.element = element
        self.message = message


@dataclass(frozen=True)
class Projection:
    """A run's state as the task, timer and subscription tables and the instance row mirror it."""

    ready: dict[str, "ReadyTask"]
    timers: dict[str, tuple[str, datetime]]
    messages: dict[str, tuple[str, str]]
    active: list[str]
    # Kept task by task (runtime/wide_projection.py): the ready task ids that appeared since the
    # projection it was kept from, in project()'s order, and those that went, in their places' order.
    appeared: tuple | None = None
    gone: tuple | None = None
    gone_entries: dict | None = None  # the ReadyTask of each task in `gone`


@dataclass(frozen=True)
class ReadyTask:
    """A ready user (or manual) task, as the task table mirrors it."""

    id: str
    element_id: str
    name: str | None
    lane: str | None
    documentation: str | None
    extensions: dict
    form_key: str | None
    item: dict | None = None  # a multi-instance's item: {"variable", "index", "value"} (mi_item below)


def mi_item(task) -> dict | None:
    """The item a multi-instance activity gave this instance of it, for people to tell the
    instances apart: the element variable's name and value (a collection's element) and the
    item's index or key; None for a task outside a multi-instance."""
    parent = task.parent
    spec = getattr(parent, "task_spec", None)
    if spec is None or not hasattr(spec, "input_item") or getattr(spec, "task_spec", None) != task.task_spec.name:
        return None
    key = task.internal_data.get("key_or_index", task.internal_data.get("item"))
    variable = spec.input_item.bpmn_id if spec.input_item is not None else None
    value = task.data.get(variable) if variable else None
    return {"variable": variable, "index": key if isinstance(key, (int, str)) else None, "value": value}


LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR  # tasks projected
SIGNAL_PREFIX = "signal:"  # signal waits live in the message subscription table under this prefix
_GATEWAYS = (ExclusiveGateway, InclusiveGateway, ParallelGateway, EventBasedGateway)
_WRITES_VARIABLES = (ScriptEngineTask, BusinessRuleTaskMixin)


class WorkflowRun(ScopedRun):
    """One instance's live workflow and variables, driven by one command at a time."""

    def __init__(self, workflow: BpmnWorkflow, variables: dict[str, Any]):
        self.wf = workflow
        self.variables = variables
        self.events: list[dict] = []
        self.projection: Projection | None = None  # as saved by the last command
        self._ready_tasks: dict = {}  # ReadyTask by task id (UUID), see project()
        self._wide: WideProjection | None = None  # see project_saved()
        self.max_steps = 10_000
        self._steps = 0
        self._granted = 0  # steps granted by multi-instances created in this command
        self._seeded: dict[Any, dict] = {}
        self.last_deleted: list[str] = []
        self._scoped_writes: dict[str, Any] = {}  # written to an activity's scope, not the instance
        self._scoped_deletes: list[str] = []
        self._running: str | None = None  # the element being run (named in failures)
        self._pre_scripts: list[tuple[Any, str]] = []  # SpiffArena pre-scripts of tasks just made ready
        # Whether any multi-instance task of the process names item variables (else no
        # task has local variables, and none are looked for up its ancestry).
        self._has_items = any(_names_items(spec) for spec in (workflow.spec, *workflow.subprocess_specs.values()))
        # Whether any activity opens a variable scope (camunda:inputOutput, camunda:in/out).
        specs = (workflow.spec, *workflow.subprocess_specs.values())
        self._has_scopes = any(_mappings(spec)[0] for spec in specs)
        self._has_hooks = any(_mappings(spec)[1] for spec in specs)

    # -- life cycle ---------------------------------------------------------------------
    @classmethod
    def create(cls, spec, subprocess_specs, script_engine: DiwanScriptEngine) -> "WorkflowRun":
        wf = DiwanWorkflow(spec, subprocess_specs, script_engine=script_engine)
        return cls(wf, {})

    def attach(self, script_engine: DiwanScriptEngine, max_steps: int) -> None:
        """Bind the command's script engine (never restored by the serializer, notes §3.4)."""
        self.wf.script_engine = script_engine
        script_engine.run = self
        self.max_steps = max_steps
        self.begin_command()

    def begin_command(self) -> None:
        """A new command: its own step budget, script time and audit events."""
        self._steps = 0
        self._granted = 0
        self.events = []
        self.wf.script_engine.begin_command()

    @property
    def engine(self) -> DiwanScriptEngine:
        return self.wf.script_engine

    def start(self, data: dict, start_event: str | None = None, message: str | None = None) -> None:
        """Start at the none start event, at the message start `start_event` catching `message`,
        or at the timer start `start_event` (its schedule is kept by the engine).

        SpiffWorkflow readies every start event of the process; the ones that do not fit
        the command are cancelled, so an instance never waits on a start event.
        """
        self.variables.update(data)
        self._process_listeners(self.wf.spec, "start", [], self.variables)
        if start_event is not None:
            first = self.wf.get_next_task(state=TaskState.READY)
            self.engine.starting_event = start_event  # a cron timer start passes at once (timer_events.py)
            try:
                first.run()  # the internal Start task: predicts every start event
            finally:
                self.engine.starting_event = None
            for task in list(self.wf.get_tasks()):
                spec = task.task_spec
                if isinstance(spec, StartEvent) and task.workflow is self.wf:
                    if spec.bpmn_id != start_event:
                        task.cancel()
                    elif message is None:  # a timer or signal start: the engine fired it
                        task._set_internal_data(event_fired=True)
                        if task.state == TaskState.WAITING:
                            task.task_spec._update(task)
        # With a none start, SpiffWorkflow's StartEventJoin cancels the other start events.
        self.step()
        if message is not None and not self._catch_message(message, self._message_data(message, data)):
            raise StepFailed(start_event, f"the start event does not catch message {message!r}")

    def _message_data(self, message: str, start_data: dict) -> dict:
        """The data of the message that starts the instance: the start data, or, when the start event
        names a message variable, that variable (the engine put the data there)."""
        variable = self.message_variable(message)
        return start_data.get(variable) or {} if variable else start_data

    def complete_user_task(self, task, data: dict) -> tuple[dict, list[str]]:
        """Complete a ready user task with validated form data; returns the variable changes
        (set and deleted) the task made. A SpiffArena `variableName` makes the data that one variable."""
        self._seed(task)
        variable = getattr(task.task_spec, "form_variable", None)
        task.data.update({variable: dict(data)} if variable else data)
        self._running = task.task_spec.bpmn_id
        try:
            task.run()
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, SpiffWorkflowException) as exc:
            raise StepFailed(self._designer(_failing_element(exc) or self._running),
                             f"{type(exc).__name__}: {exc}") from exc
        changes = self._write_back(task)
        deleted = list(self.last_deleted)
        scoped = self._leave_scope(task)
        if scoped:
            changes = {**changes, **scoped}
        self._scoped_writes, self._scoped_deletes = {}, []  # a form's writes to a scope: in the task's data
        # After the outputs: the listeners' events fold after task_completed, which holds them.
        self.run_listeners(task, "complete")
        self.run_listeners(task, "end")
        self._shed(task)
        self.step()
        return changes, deleted

    def fire_timers(self) -> None:
        """Let every timer due on the engine clock fire, then run on."""
        self.wf.refresh_timers()
        self.step()

    def correlate(self, message_name: str, data: dict) -> int:
        """Deliver a message to this instance's catch events; returns how many caught it. Its data
        is merged into the variables, or, when the catch event names a SpiffArena message variable,
        becomes that variable."""
        variable = self.message_variable(message_name)
        if variable is not None:
            self.variables[variable] = dict(data)
        else:
            self.variables.update(data)
        return self._catch_message(message_name, data)

    def _catch_message(self, message_name: str, data: dict) -> int:
        """Let the waiting catch events take the message. A message with correlation properties
        carries its correlations, computed from its data by the retrieval expressions (in the
        sandbox): SpiffWorkflow lets an instance that already has correlation values take only a
        message with the same ones. A message whose data lacks a property matches nothing."""
        payload, correlations = {}, {}
        definition = self._waiting_definition(message_name)
        if getattr(definition, "process_correlations", None):  # SpiffArena: the instance's own values
            try:
                self.wf.correlations.update(definition.calculate_correlations(
                    self.engine, definition.process_correlations, snapshot(self.variables)))
            except SpiffWorkflowException:
                return 0
        if definition is not None and definition.correlation_properties:
            payload = dict(data)
            try:
                correlations = definition.calculate_correlations(self.engine, definition.correlation_properties,
                                                                 payload)
            except SpiffWorkflowException:
                return 0
        event = BpmnEvent(MessageEventDefinition(message_name), payload=payload, correlations=correlations)
        caught = self.wf.event_manager.catch(event, internal=False)
        if caught:
            self.step()
        return caught

    def _waiting_definition(self, message_name: str):
        """The message definition of a catch event waiting for this message, if any."""
        for t in self._live(TaskState.WAITING):
            definition = getattr(t.task_spec, "event_definition", None)
            for d in getattr(definition, "event_definitions", [definition]) if definition else ():
                if isinstance(d, MessageEventDefinition) and d.name == message_name:
                    return d
        return None

    def message_variable(self, message_name: str) -> str | None:
        """The variable a waiting catch event of this message puts its data in (SpiffArena's
        `messageVariable`), if any."""
        return getattr(self._waiting_definition(message_name), "message_var", None)

    def pre_script(self, task, script: str) -> None:
        """A task with a SpiffArena pre-script became ready: run it once the step that readied it
        has written back its variables (at the next step hook, or when the engine steps end)."""
        self._pre_scripts.append((task, script))

    def _run_pre_scripts(self) -> None:
        while self._pre_scripts:
            task, script = self._pre_scripts.pop(0)
            if not task.has_state(TaskState.CANCELLED | TaskState.COMPLETED | TaskState.ERROR):
                self.extension_script(task, script, "pre")

    def extension_script(self, task, script: str, kind: str) -> None:
        """Run a SpiffArena pre-script (`kind` "pre", the task becoming ready) or post-script ("post",
        the task completing) of `task` in the sandbox; what it sets becomes instance variables at
        once and is recorded (`script_ran`)."""
        if kind == "pre":  # the task's data is as old as its parent's: give it the variables first
            task.data.update(snapshot(self.variables))
            if self._has_items:
                task.data.update(_locals(task))
        before = snapshot(task.data)
        element = task.task_spec.bpmn_id
        running, self._running = self._running, element
        self.engine.execute(task, script)
        self._running = running
        changes = self._write_back(task, before)
        payload: dict[str, Any] = {"script": kind}
        if changes:
            payload["changes"] = changes
        if self.last_deleted:
            payload["deleted"] = self.last_deleted
        recorded = self.engine.recorder.take(element)
        if recorded:
            payload["recorded"] = recorded
        self.events.append({"type": "script_ran", "element_id": element, "task_id": id_text(task.id),
                            "payload": payload})

    def signal(self, name: str, data: dict | None = None) -> int:
        """Deliver a signal to this instance's catch events; returns how many caught it. `data` is
        the payload another instance's SpiffArena `payloadExpression` gave it."""
        caught = self.wf.event_manager.catch(BpmnEvent(SignalEventDefinition(name), payload=data), internal=False)
        if caught:
            self.step()
        return caught

    def cancel(self) -> None:
        self.wf.cancel()

    def step(self) -> None:
        """Run every ready automatic task until the instance waits (or ends)."""
        try:
            self._run_pre_scripts()
            self.wf.do_engine_steps(will_complete_task=self._will_run, did_complete_task=self._did_run)
            # A timer that fell due in the final refresh is READY but was not run (notes §2.4), and
            # a waiting conditional event whose condition the steps made true is READY now.
            while self._refresh_conditions() or self._automatic_ready():
                self.wf.do_engine_steps(will_complete_task=self._will_run, did_complete_task=self._did_run)
            self._run_pre_scripts()
        except RunawayLoop:
            raise
        except WorkflowTaskException as exc:
            raise StepFailed(self._designer(_element_of(exc.task) or self._running), _message(exc)) from exc
        except SpiffWorkflowException as exc:
            raise StepFailed(self._designer(self._running), _message(exc)) from exc
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            # SpiffWorkflow lets data errors through raw (a multi-instance collection that is
            # missing or not a list, say): they are the process's data, not a crash.
            raise StepFailed(self._designer(_failing_element(exc) or self._running),
                             f"{type(exc).__name__}: {exc}") from exc
        errored = self._errored()
        if errored:
            raise StepFailed(self._designer(errored[0].task_spec.bpmn_id), "the task failed")
        if self._has_hooks and getattr(self.wf.spec, "camunda_listeners", None) \
                and not self.wf.data.get("diwan_process_ended") and self.wf.is_completed():
            self.wf.data["diwan_process_ended"] = True
            self._process_listeners(self.wf.spec, "end", [], self.variables)

    def _errored(self) -> list:
        """The tasks in ERROR (from the unsettled tasks, one in tree order when there are several)."""
        workflows = (self.wf, *self.wf.subprocesses.values())
        if all(type(wf.tasks) is state_journal.TaskDict for wf in workflows):
            found = [t for wf in workflows for t in state_journal.unsettled(wf) if t._state == TaskState.ERROR]
            if len(found) <= 1:
                return found
        return list(self._live(TaskState.ERROR))

    def _automatic_ready(self) -> bool:
        known = state_journal.automatic_ready(self.wf)
        if known is None:
            return any(not t.task_spec.manual for t in self._live(TaskState.READY))
        return known

    def grant_steps(self, steps: int) -> None:
        """A multi-instance created an instance: one pass through it does not count as a loop."""
        self._granted += steps

    def compact(self) -> int:
        return compact(self.wf)

    def _designer(self, element: str | None) -> str | None:
        """The designer's element for an element a deploy-time transformation added (a failure names
        what the diagram shows: `T` for its implicit split `T__split`)."""
        return getattr(self.wf.spec, "diwan_origins", {}).get(element, element)

    def _refresh_conditions(self) -> bool:
        """Evaluate again the condition of every waiting conditional event (intermediate catch or
        boundary) on the instance's variables as they are now; returns whether one fired.

        SpiffWorkflow evaluates a condition once, when the event is reached (and a waiting task's
        data is the copy it had then). The engine re-evaluates them whenever a command's steps have
        run to a wait state, so a condition made true by any branch (a script, a form, a message's
        payload) fires the event in the command that made it true. It depends on the variables
        alone, which replay restores in the same order, so a replay fires the same events.
        """
        fired = False
        for task in list(self.wf.event_manager.tasks.values()):
            if task.state != TaskState.WAITING or not isinstance(
                    getattr(task.task_spec, "event_definition", None), ConditionalEventDefinition):
                continue
            # SpiffWorkflow's own update would evaluate on the data the task inherits from its parent
            # (the copy of when the event was reached): evaluate on the variables, and ready the task
            # as a caught event is readied.
            task.data.update(snapshot(self.variables))
            if self._has_items:
                task.data.update(_locals(task))
            self._running = task.task_spec.bpmn_id
            definition = task.task_spec.event_definition
            if self.wf.script_engine.evaluate(task, definition.expression, external_context=self.wf.data_objects):
                task._set_internal_data(has_fired=True)
                task._ready()
                fired = True
        return fired

    # -- step hooks: variables in, changes out ------------------------------------------
    def _will_run(self, task) -> None:
        self._run_pre_scripts()
        self._running = task.task_spec.bpmn_id
        self._steps += 1
        if self._steps > self.max_steps + self._granted:
            raise RunawayLoop(
                f"more than {self.max_steps} engine steps without reaching a wait state "
                f"(last element {task.task_spec.bpmn_id or task.task_spec.name}): a loop without a "
                "user task, timer or message?")
        self._seed(task)

    def _did_run(self, task) -> None:
        spec = task.task_spec
        # Only designer code changes variables. Joins merge stale branch copies and catch
        # events apply the thrower's old data (SpiffWorkflow's per-token data): writing
        # those back would undo later writes.
        changes = self._write_back(task) if isinstance(spec, _WRITES_VARIABLES) else self._discard(task)
        deleted = self.last_deleted
        caught = _caught_message_variable(task)
        if caught:  # a SpiffArena messageVariable filled by a message this instance threw itself
            changes = self._checked(caught)
            self.variables.update(changes)
        self._shed(task)
        if spec.bpmn_id is None:
            self._run_pre_scripts()
            return
        if self._has_hooks and self._callee(task) is not None:  # the called process ended
            pending = self._scoped_writes, self._scoped_deletes
            self._scoped_writes, self._scoped_deletes = {}, []
            self._process_listeners(self._callee(task), "end", *self._callee_view(task), task=task)
            self._scoped_writes, self._scoped_deletes = pending
        if self._has_scopes:
            changes = {**changes, **self._leave_scope(task)}
        if isinstance(spec, BoundaryEvent):
            changes = {**changes, **self._caught_error(task)}
        payload: dict[str, Any] = {}
        if changes:
            payload["changes"] = changes
        if deleted:
            payload["deleted"] = deleted
        if self._scoped_writes or self._scoped_deletes:
            payload["scoped"] = {"changes": self._scoped_writes, "deleted": self._scoped_deletes}
            self._scoped_writes, self._scoped_deletes = {}, []
        if isinstance(spec, _GATEWAYS) and len(spec.outputs) > 1:
            payload["taken"] = sorted(_element_name(c.task_spec) for c in task.children
                                      if c.has_state(TaskState.READY | TaskState.WAITING | TaskState.COMPLETED
                                                     | TaskState.FUTURE | TaskState.LIKELY | TaskState.STARTED))
        recorded = self.engine.recorder.take(spec.bpmn_id)
        if recorded:
            payload["recorded"] = recorded
        if hasattr(spec, "dmnEngine"):
            result = (spec.extensions or {}).get("camunda:resultVariable")
            payload["decision"] = {k: task.data.get(k) for k in ([result] if result else _decision_outputs(spec))}
        self.events.append({"type": "element_completed", "element_id": spec.bpmn_id,
                            "task_id": id_text(task.id), "payload": payload})
        if self._has_hooks:  # after the outputs: each listener's event folds after the element's
            self.run_listeners(task, "end")
        self._run_pre_scripts()  # the tasks this one made ready, now that its writes are in

    def _seed(self, task) -> None:
        local = _locals(task) if self._has_items else {}
        if self._has_scopes:
            chain, root = self.scope_chain(task)
            if root is not self.variables:  # inside an isolated call: only the callee's variables
                task.data.clear()
            task.data.update(snapshot(root))
            for scope in reversed(chain):
                task.data.update(snapshot(scope))
        else:
            names = _seed_names(task, self._has_hooks) if local else None
            if names is None:
                task.data.update(snapshot(self.variables))  # copies: SpiffWorkflow merges data in place
            else:  # a multi-instance instance's script: the variables it names (a copy of all per instance was quadratic)
                variables = self.variables
                task.data.update(snapshot({n: variables[n] for n in names if n in variables}))
        task.data.update(local)
        self._seeded[task.id] = snapshot(task.data)

    def _shed(self, task) -> None:
        """A finished multi-instance instance keeps only its item: its parent merged what it
        produced, and the variables are the engine's (a copy in each of 10,000 instances was
        the case's memory and every command's cost)."""
        internal = task.internal_data
        if ("key_or_index" in internal or "item" in internal) and task.has_state(TaskState.FINISHED_MASK):
            local = _locals(task) if self._has_items else {}
            task.data = {k: v for k, v in task.data.items() if k in local}

    def _discard(self, task) -> dict:
        self._seeded.pop(task.id, None)
        self.last_deleted = []
        return {}

    def _write_back(self, task, before: dict | None = None) -> dict:
        if before is None:
            before = self._seeded.pop(task.id, {})
        local = set(_locals(task)) if self._has_items else set()
        after = task.data
        changes: dict[str, Any] = {}
        for key, value in after.items():
            if key in local or key.startswith("_"):
                continue
            if key not in before or before[key] != value:
                changes[key] = value
        if changes:
            changes = self._checked(changes)
        if self._has_scopes:
            chain, root = self.scope_chain(task)
            if chain or root is not self.variables:
                gone = [k for k in before if k not in after and k not in local]
                deleted = []
                for key in gone:
                    holder = next((scope for scope in chain if key in scope), root)
                    if key in holder:
                        holder.pop(key)
                        if holder is self.variables:
                            deleted.append(key)
                        else:
                            self._scoped_deletes.append(key)
                self.last_deleted = deleted
                return self._propagate(changes, chain, root)
        deleted = [k for k in before if k not in after and k not in local and k in self.variables]
        for key in deleted:
            self.variables.pop(key, None)
        self.variables.update(changes)
        self.last_deleted = deleted
        return changes

    def _checked(self, changes: dict) -> dict:
        """Variables as designer code or a submission set them, refused outside the value domain
        (engine/values.py) with the variable's path: never stored half-way, never a 500."""
        limits = ValueLimits(max_variable_bytes=self.engine.host.limits.max_variable_bytes)
        try:
            return check_variables(changes, limits)
        except InvalidValue as exc:
            raise StepFailed(self._designer(self._running), f"variable {exc}") from None

    def collected(self, task, name: str, value) -> None:
        """A multi-instance task gathered an output into its collection (outside the hooks)."""
        value = self._checked({name: value})[name]
        self.variables[name] = value
        self.events.append({"type": "output_collected", "element_id": task.task_spec.bpmn_id,
                            "task_id": id_text(task.id), "payload": {"changes": {name: value}}})

    # -- projections ---------------------------------------------------------------------
    def _live(self, states: int):
        """Tasks in `states`, in the workflow and its subprocesses (a dict scan: the tree
        iterator is the engine's hottest path otherwise)."""
        for t in self.wf.tasks.values():
            if t._state & states:
                yield t
        for sub in self.wf.subprocesses.values():
            for t in sub.tasks.values():
                if t._state & states:
                    yield t

    def project(self) -> Projection:
        """What the tables mirror, in one pass: ready user tasks, timers, messages, active elements."""
        ready: dict[str, ReadyTask] = {}
        timers: dict[str, tuple[str, datetime]] = {}
        messages: dict[str, tuple[str, str]] = {}
        active: dict[str, None] = {}  # an ordered set
        contribution = self.contribution
        for t in self._live(LIVE):
            entry, timer, message, elements = contribution(t)
            if entry is not None:
                ready[entry.id] = entry
            if timer is not None:
                timers[timer[0]] = timer[1]
            if message is not None:
                messages[message[0]] = message[1]
            for element in elements:
                active[element] = None
        known = self._ready_tasks
        if len(known) > 2 * len(ready) + 64:  # forget the tasks that are no longer ready
            self._ready_tasks = {t.id: known[t.id] for t in self._live(TaskState.READY) if t.id in known}
        return Projection(ready, timers, messages, list(active))

    def project_saved(self) -> Projection:
        """The projection a save writes: `project()`, kept up to date from the tasks that changed
        since the last save when the instance is wide (runtime/wide_projection.py)."""
        wide = self._wide
        if wide is not None and wide.follows(self):
            before = dict(self.projection.ready) if wide_projection.CHECK else None  # update() changes it
            kept = wide.update(self)
            if wide_projection.CHECK:
                wide_projection.check(kept, self.project(), before)
            return kept
        full = self.project()
        self._wide = WideProjection.build(self, full)
        return full

    def contribution(self, t) -> tuple:
        """What a live task puts in the projection: (ready task or None, (task id, timer) or None,
        (task id, message) or None, active elements)."""
        spec = t.task_spec
        state = t._state
        entry = timer = message = None
        if state == TaskState.READY and spec.manual:
            known = self._ready_tasks  # a ready task's row never changes: built once per task
            entry = known.get(t.id)
            if entry is None:
                form = getattr(spec, "form", None)
                ext = dict(getattr(spec, "extensions", None) or {})
                tid = id_text(t.id)
                entry = known[t.id] = ReadyTask(tid, spec.bpmn_id, spec.bpmn_name, spec.lane, spec.documentation,
                                                ext, getattr(form, "key", None) or ext.get("camunda:formRef"),
                                                mi_item(t))
            element = _plain_active(spec)
            if element is not None:  # most ready tasks: their own element, decided once per spec
                return entry, None, None, (element,)
        if state == TaskState.WAITING:
            definition = getattr(spec, "event_definition", None)
            for d in getattr(definition, "event_definitions", [definition]) if definition else ():
                if isinstance(d, TimerEventDefinition) and timer is None:
                    due = due_time(t)
                    if due is not None:
                        timer = (id_text(t.id), (_catcher(t, d), due))
                elif isinstance(d, MessageEventDefinition):
                    message = (id_text(t.id), (_catcher(t, d), d.name))
                elif isinstance(d, SignalEventDefinition):  # signals share the table, prefixed
                    message = (id_text(t.id), (_catcher(t, d), SIGNAL_PREFIX + d.name))
        return entry, timer, message, _active_elements(t)

    def is_completed(self) -> bool:
        return self.wf.is_completed()

    def task(self, task_id: str):
        try:
            return self.wf.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError):
            return None


def _caught_message_variable(task) -> dict:
    """{variable: data} when `task` caught a payload into a SpiffArena message variable, or a signal,
    error or escalation payload into its `variableName`.

    A message from outside (the API, another instance) is applied by `correlate`; SpiffWorkflow
    leaves the payload of every caught message in the task's internal data, which for those is
    empty (or the same data, for a correlated one): only a message this instance threw carries
    its evaluated payload here. Signals, errors and escalations always carry theirs here (None:
    nothing is set)."""
    if not isinstance(task.task_spec, CatchingEvent):
        return {}
    definition = getattr(task.task_spec, "event_definition", None)
    variable = getattr(definition, "message_var", None)
    if variable is not None:
        payload = task.internal_data.get(definition.name)
        return {variable: dict(payload)} if isinstance(payload, dict) and payload else {}
    variable = getattr(definition, "variable", None)
    if variable is not None and isinstance(definition, PayloadItems):
        payload = task.internal_data.pop(CAUGHT, None)
        return {variable: dict(payload)} if isinstance(payload, dict) else {}
    return {}


def _plain_active(spec) -> str | None:
    """The element a READY task of `spec` makes active when that depends on the spec alone (what
    `_active_elements` says for it), else None; remembered on the (cached, shared) spec."""
    known = spec.__dict__.get("_diwan_plain_active", False)
    if known is False:
        plain = spec.bpmn_id is not None and not isinstance(spec, (SubWorkflowTask, CallActivity, TransactionSubprocess,
                                                                    BoundaryEvent, LoopTask, *_GATEWAYS))
        known = spec.__dict__["_diwan_plain_active"] = spec.bpmn_id if plain else None
    return known


def _active_elements(t) -> list[str]:
    """Where a live task makes the instance wait or work (API.md, `active_elements`)."""
    spec = t.task_spec
    if spec.bpmn_id is None or isinstance(spec, (SubWorkflowTask, CallActivity, TransactionSubprocess,
                                                  BoundaryEvent, LoopTask)):
        return []
    if isinstance(spec, EventBasedGateway):
        return [c.task_spec.bpmn_id for c in t.children if c.task_spec.bpmn_id]
    if isinstance(spec, _GATEWAYS):
        return []
    if t.state == TaskState.WAITING and not isinstance(spec, CatchingEvent):
        return []
    return [spec.bpmn_id]


def _element_name(spec) -> str:
    """The diagram element behind a spec (a boundary split stands for its attached task)."""
    if spec.bpmn_id is not None:
        return spec.bpmn_id
    return spec.name.removesuffix(".BoundaryEventSplit")


def _catcher(task, definition) -> str:
    """The element that catches `definition` (an event-based gateway's branch, or the task)."""
    spec = task.task_spec
    if isinstance(spec, EventBasedGateway):
        # The gateway holds its branches' definitions, in the order of its outputs.
        for index, candidate in enumerate(spec.event_definition.event_definitions):
            if candidate is definition:
                return spec.outputs[index].bpmn_id
    return spec.bpmn_id


_NAMES_ITEMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # by process spec: asked once


def _names_items(process_spec) -> bool:
    known = _NAMES_ITEMS.get(process_spec)
    if known is None:
        known = _NAMES_ITEMS[process_spec] = any(
            getattr(spec, "input_item", None) is not None or getattr(spec, "output_item", None) is not None
            for spec in process_spec.task_specs.values())
    return known


_MAPPINGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # by process spec: asked once


def _mappings(process_spec) -> tuple[bool, bool]:
    """Whether any activity of the process opens a variable scope, and whether any has listeners
    or a scope (runtime/scopes.py); else no task looks for scopes up its ancestry."""
    known = _MAPPINGS.get(process_spec)
    if known is None:
        specs = process_spec.task_specs.values()
        known = _MAPPINGS[process_spec] = (any(scopes.opens_scope(t) for t in specs),
                                           any(scopes.has_hooks(t) for t in specs)
                                           or bool(getattr(process_spec, "camunda_listeners", None)))
    return known


def _locals(task) -> dict:
    """Multi-instance item variables of `task` (its own or an enclosing instance's)."""
    out: dict = {}
    t = task
    while t is not None:
        parent = t.parent
        if "key_or_index" in t.internal_data and parent is not None:
            # The item a multi-instance instance works on, and the output item it produces,
            # are its own: the collection, not each output, becomes an instance variable.
            for item in (getattr(parent.task_spec, "input_item", None), getattr(parent.task_spec, "output_item", None)):
                if item is not None and item.bpmn_id not in out and item.bpmn_id in t.data:
                    out[item.bpmn_id] = t.data[item.bpmn_id]
        if parent is None:
            wf = t.workflow
            parent_id = getattr(wf, "parent_task_id", None)
            t = wf.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
        else:
            t = parent
    return out


def _seed_names(task, has_hooks: bool) -> frozenset[str] | None:
    """The variables a multi-instance instance is seeded with, or None for all of them."""
    names = _script_names(task)
    return names if names is not None or has_hooks else _form_names(task)


def _form_names(task) -> frozenset[str] | None:
    """What a multi-instance instance's user or manual task reads of the variables: nothing
    but the output item its multi-instance collects (its form's data is what it changes;
    conditions after it read the variables). None when it does more: scripts, data
    associations, an ioSpecification."""
    spec = task.task_spec
    if not getattr(spec, "manual", False) or getattr(spec, "prescript", None) or getattr(spec, "postscript", None) \
            or getattr(spec, "io_specification", None) is not None \
            or getattr(spec, "data_input_associations", None) or getattr(spec, "data_output_associations", None):
        return None
    parent = task.parent
    output = getattr(parent.task_spec, "output_item", None) if parent is not None else None
    return frozenset() if output is None else frozenset((output.bpmn_id,))


def _script_names(task) -> frozenset[str] | None:
    """The names a multi-instance instance's script task reads or writes, or None when the task
    is not a plain script task (anything else is seeded with every variable).

    The sandbox gives a script no way to reach a variable it does not name (no `globals`,
    `locals`, `vars`, `eval`, attribute access to frames), so seeding only those is exact."""
    spec = task.task_spec
    script = getattr(spec, "script", None)
    if not isinstance(script, str) or not isinstance(spec, ScriptEngineTask) or not (
            "key_or_index" in task.internal_data or "item" in task.internal_data) \
            or getattr(spec, "prescript", None) or getattr(spec, "postscript", None):
        return None
    return _names_in(script)


@lru_cache(maxsize=512)
def _names_in(script: str) -> frozenset[str] | None:
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return None
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


def _decision_outputs(spec) -> list[str]:
    try:
        return [o.name for o in spec.dmnEngine.decision_table.outputs]
    except AttributeError:
        return []


def _failing_element(exc: BaseException) -> str | None:
    """The element whose task was being updated or run where a raw exception was raised."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        task = tb.tb_frame.f_locals.get("my_task")
        element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
        if element:
            found = element
        tb = tb.tb_next
    return found


def _element_of(task) -> str | None:
    return getattr(getattr(task, "task_spec", None), "bpmn_id", None)


def _message(exc: Exception) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    return text
