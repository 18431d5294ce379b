"""The engine's workflow classes: SpiffWorkflow's, with a faster walk of the task tree.

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

The classes are the engine's by construction (`WorkflowRun.create`) and by loading
(runtime/workflow_state.py); SpiffWorkflow's own classes are left as they are.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_FINISHED = TaskState.FINISHED_MASK
_PREDICTED = TaskState.PREDICTED_MASK
_DEFINITE = TaskState.DEFINITE_MASK
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


class _FastWalk:
    """The overrides both workflow classes share (a mixin ahead of SpiffWorkflow's class)."""

    def get_tasks_iterator(self, first_task=None, **kwargs):
        if not kwargs.keys() <= _FAST_QUERY:
            return super().get_tasks_iterator(first_task, **kwargs)
        return iter_tasks(first_task or self.task_tree, subprocesses=self.top_workflow.subprocesses, **kwargs)

    def update_waiting_tasks(self) -> None:
        # Workflow.update_waiting_tasks walks this workflow's own tree (no subprocesses).
        for task in iter_tasks(self.task_tree, state=TaskState.WAITING):
            task.task_spec._update(task)


class DiwanSubWorkflow(_FastWalk, BpmnSubWorkflow):
    """A subprocess's workflow."""


class DiwanWorkflow(_FastWalk, BpmnWorkflow):
    """An instance's top workflow; its subprocesses are `DiwanSubWorkflow`s."""

    def create_subprocess(self, my_task, spec_name):
        subprocess = DiwanSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess
