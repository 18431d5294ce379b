"""The engine's workflow and task classes: SpiffWorkflow's, with a faster walk of the task tree.

SpiffWorkflow finds the tasks to run, the tasks waiting and a gateway's sibling tokens
by walking the task tree with `TaskIterator`, a generic iterator (a list popped from the
front, a filter object, depth bookkeeping that climbs parents through dictionary
lookups). That walk is over half of the time SpiffWorkflow spends running a process.
`iter_tasks` yields exactly the same tasks in exactly the same order (depth first, a
subprocess's tree before the task's children, children read when their parent is
reached), for the filters SpiffWorkflow itself uses: state, manual, spec name, end-at
spec, skip subprocesses. Any other query goes to SpiffWorkflow's iterator unchanged.

The depth limit is the one thing left out: runtime/spiff_fixes.py raises it to a depth
no run reaches (compaction bounds the tree between commands, the step budget within
one), so checking it would only cost. tests/engine/test_fast_workflow.py compares the
two walks on every fixture and betsy process, step by step.

Their tasks (`DiwanTask`) build a log record's details only when the record is written.

The classes are the engine's by construction (`WorkflowRun.create`) and by loading
(runtime/workflow_state.py, which stores them under SpiffWorkflow's own type names);
SpiffWorkflow's own classes are left as they are.
"""
from __future__ import annotations

import logging
import time

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import state_journal
from .ids import new_task_id
from .interrupting_steps import InterruptFirstSteps

_FINISHED = TaskState.FINISHED_MASK
_PREDICTED = TaskState.PREDICTED_MASK
_DEFINITE = TaskState.DEFINITE_MASK
_TASK_LOG = logging.getLogger("spiff.task")
_WORKFLOW_LOG = logging.getLogger("spiff.workflow")
_FAST_QUERY = frozenset({"state", "manual", "spec_name", "end_at_spec", "skip_subprocesses"})


def iter_tasks(root, state: int = TaskState.ANY_MASK, manual: bool | None = None, spec_name: str | None = None,
               end_at_spec: str | None = None, skip_subprocesses: bool = False, subprocesses: dict | None = None):
    """The tasks under `root` matching the filter, in `BpmnTaskIterator`'s order.

    Args:
        subprocesses: the top workflow's subprocesses by task id, to descend into them
            (`BpmnTaskIterator`); None walks one workflow's tree only (`TaskIterator`).
    """
    # Which tasks have children worth visiting (TaskIterator.__init__).
    if state & _PREDICTED:
        min_state = TaskState.MAYBE
    elif state & _DEFINITE:
        min_state = TaskState.FUTURE
    else:
        min_state = TaskState.COMPLETED
    stack = [root]
    pop, push = stack.pop, stack.extend
    while stack:
        task = pop()
        current = task._state
        sub = subprocesses.get(task.id) if subprocesses else None
        if (task._children or sub is not None) and (current >= min_state or sub is not None) and \
                (end_at_spec is None or task.task_spec.name != end_at_spec):
            # Children are read now, before the caller acts on `task`, as TaskIterator does.
            tasks = task.workflow.tasks
            push([tasks.get(child) for child in reversed(task._children)])
            if sub is not None and not (skip_subprocesses or (current >= _FINISHED and state <= _FINISHED)):
                stack.append(sub.task_tree)
        if current & state and (manual is None or task.task_spec.manual == manual) and \
                (spec_name is None or task.task_spec.name == spec_name):
            yield task


def _none_in(workflow, subprocesses: dict | None, state: int) -> bool:
    """Whether no task of `workflow` (nor of `subprocesses`) is in `state`: a dictionary
    scan, against a walk of the tree."""
    for task in workflow.tasks.values():
        if task._state & state:
            return False
    for sub in (subprocesses or {}).values():
        for task in sub.tasks.values():
            if task._state & state:
                return False
    return True


def _waiting(workflow) -> set:
    """Ids of the workflow's tasks that became WAITING (some may have moved on since, or been
    removed): every `DiwanTask` that enters the state is added, so no other task waits."""
    found = workflow.__dict__.get("_diwan_waiting")
    if found is None:
        found = workflow.__dict__["_diwan_waiting"] = set()
    return found


class DiwanTask(Task):
    """A task that builds its log record's details only when the record is written, and
    gives its children ids made by `new_task_id`.

    SpiffWorkflow computes them (state names, parent lookups, and at its default logger
    level the task's data) on every state change, before asking the logger, which then
    drops the record: diwan does not configure SpiffWorkflow's loggers, so they log at the
    root logger's level (WARNING unless an application lowers it).
    """

    def __init__(self, workflow, task_spec, parent=None, state=TaskState.MAYBE, **kwargs):
        super().__init__(workflow, task_spec, parent, state=state, **kwargs)
        if state == TaskState.WAITING:
            _waiting(workflow).add(self.id)
        if parent is not None:  # its child list changed (the task itself was marked when added)
            state_journal.mark(parent)
        state_journal.entered(self, state)

    def collect_log_extras(self, dct=None):
        if not _TASK_LOG.isEnabledFor(logging.INFO):
            return {}
        return super().collect_log_extras(dct)

    def _set_state(self, value: int) -> None:
        # Task._set_state, naming the state only for a record that is written.
        if value == TaskState.WAITING:
            _waiting(self.workflow).add(self.id)
        if value != self._state:
            state_journal.state_changed(self)
            state_journal.entered(self, value)
            now = time.time()
            elapsed = now - self.last_state_change
            self.last_state_change = now
            self._state = value
            if _TASK_LOG.isEnabledFor(logging.INFO):
                _TASK_LOG.info(f"State changed to {TaskState.get_name(value)}",
                               extra=self.collect_log_extras({"elapsed": elapsed}))
        elif _TASK_LOG.isEnabledFor(logging.DEBUG):
            _TASK_LOG.debug(f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras())

    def _set_internal_data(self, **kwargs) -> None:
        # An event definition resets or fires a task that keeps its state: its row is written.
        super()._set_internal_data(**kwargs)
        state_journal.mark(self)

    def set_data(self, **kwargs) -> None:
        super().set_data(**kwargs)
        state_journal.mark(self)

    def is_descendant_of(self, task) -> bool:
        # Task.is_descendant_of as a loop, one parent lookup per level instead of two and a
        # call: a parallel join asks it of every task of its spec at each update, up the tree.
        tasks, parent_id = self.workflow.tasks, self._parent
        while parent_id is not None:
            parent = tasks.get(parent_id)
            if parent is None:
                return False
            if parent == task:
                return True
            parent_id = parent._parent
        return False

    def _add_child(self, task_spec, state=TaskState.MAYBE):
        # Task._add_child, building this class.
        if self.has_state(TaskState.PREDICTED_MASK) and state & TaskState.PREDICTED_MASK == 0:
            raise WorkflowException("Attempt to add non-predicted child to predicted task", task_spec=self.task_spec)
        task = DiwanTask(self.workflow, task_spec, self, state=state, id=new_task_id())
        task.thread_id = self.thread_id
        if state == TaskState.READY:
            task._ready()
        return task


def _plant(workflow) -> None:
    """Workflow.__init__'s task tree, of `DiwanTask`s."""
    root = workflow.task_tree = DiwanTask(workflow, workflow.spec.start, state=TaskState.FUTURE, id=new_task_id())
    root.task_spec._predict(root, mask=TaskState.NOT_FINISHED_MASK)
    if _WORKFLOW_LOG.isEnabledFor(logging.INFO):
        _WORKFLOW_LOG.info("Initialized workflow", extra=workflow.collect_log_extras())
    root._ready()


class _FastWalk:
    """The overrides both workflow classes share (a mixin ahead of SpiffWorkflow's class)."""

    def get_tasks_iterator(self, first_task=None, **kwargs):
        if not kwargs.keys() <= _FAST_QUERY:
            return super().get_tasks_iterator(first_task, **kwargs)
        subprocesses = self.top_workflow.subprocesses
        state = kwargs.get("state")
        if first_task is None and state is not None and _none_in(self, subprocesses, state):
            return iter(())  # the walk would yield nothing (and so change nothing)
        return iter_tasks(first_task or self.task_tree, subprocesses=subprocesses, **kwargs)

    def update_waiting_tasks(self) -> None:
        # Workflow.update_waiting_tasks walks this workflow's own tree (no subprocesses);
        # most of the time nothing waits, and only a waiting task's update changes anything.
        # It runs after every task completes: the tasks that entered WAITING are looked at,
        # not every task (a case of 10,000 instances made that quadratic).
        waiting = _waiting(self)
        tasks = self.tasks
        still = {i for i in waiting if (t := tasks.get(i)) is not None and t._state == TaskState.WAITING}
        waiting.intersection_update(still)
        if not still:
            return
        for task in iter_tasks(self.task_tree, state=TaskState.WAITING):
            task.task_spec._update(task)

    def is_completed(self) -> bool:
        # Workflow.is_completed, looking for an unfinished task in the task dictionary
        # (the tree's tasks) instead of walking the tree with TaskIterator.
        if not self.completed and _none_in(self, None, TaskState.NOT_FINISHED_MASK):
            self.completed = True
        return self.completed

    def collect_log_extras(self, dct=None):
        # At SpiffWorkflow's default level this lists every task of the workflow, for a
        # record nobody writes.
        if not _WORKFLOW_LOG.isEnabledFor(logging.INFO):
            return dct if dct is not None else {}
        return super().collect_log_extras(dct)


class DiwanSubWorkflow(_FastWalk, BpmnSubWorkflow):
    """A subprocess's workflow."""

    def __init__(self, spec, parent_task_id, top_workflow, deserializing=False, **kwargs):
        super().__init__(spec, parent_task_id, top_workflow, deserializing=True, **kwargs)
        self.tasks = state_journal.TaskDict()
        if not deserializing:
            _plant(self)


class DiwanWorkflow(InterruptFirstSteps, _FastWalk, BpmnWorkflow):
    """An instance's top workflow; its subprocesses are `DiwanSubWorkflow`s."""

    def __init__(self, spec, subprocess_specs=None, script_engine=None, deserializing=False, **kwargs):
        super().__init__(spec, subprocess_specs, script_engine, deserializing=True, **kwargs)
        self.tasks = state_journal.TaskDict()
        if not deserializing:
            _plant(self)

    def create_subprocess(self, my_task, spec_name):
        subprocess = DiwanSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess
