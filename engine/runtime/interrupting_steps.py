"""Engine steps in which an interrupting boundary event interrupts at once.

SpiffWorkflow's `BpmnWorkflow._do_engine_steps` runs every ready task of a sub-process, deepest
first, until it has none, and only then the tasks of the workflow around it. When a task inside a
sub-process throws a signal or an escalation that an interrupting boundary event of an enclosing
activity catches, the boundary event becomes ready in the outer workflow, but the sub-process runs
on to its next wait state first: the tasks after the throw still run (betsy
Signal_/Escalation_BoundaryEvent_SubProcess_Interrupting). BPMN interrupts the activity when the
event is caught.

The same holds for an interrupting conditional boundary event whose condition is already true when
its activity is entered: SpiffWorkflow readies it together with the activity and runs the activity
first (betsy Conditional_BoundaryEvent_SubProcess_Interrupting).

Here the step loop is SpiffWorkflow's, with two changes: after a signal or escalation intermediate
throw event runs inside an activity, an interrupting boundary event of that activity that became
ready runs right away (it cancels the activity and what runs inside it), and the sub-process being
stepped stops there; after an activity with boundary events is entered (its BoundaryEventSplit ran),
an interrupting conditional boundary event of it that is ready runs right away. Both were refused at
deploy before, so the order of everything else, and of every instance recorded before, is
unchanged; the order depends only on the task tree, so a replay takes the same path.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from . import state_journal


_INTERRUPTING_KINDS = (SignalEventDefinition, EscalationEventDefinition)


def _throws_signal_or_escalation(spec) -> bool:
    """An intermediate throw event of a signal or escalation: after one, the activity around may be
    interrupted. (An end event ends its scope itself: error, cancel and escalation end events run
    as SpiffWorkflow runs them.)"""
    if not isinstance(spec, IntermediateThrowEvent):
        return False
    definition = spec.event_definition
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, _INTERRUPTING_KINDS) for d in definition.event_definitions)
    return isinstance(definition, _INTERRUPTING_KINDS)


class InterruptFirstSteps:
    """A mixin for the top workflow (a `BpmnWorkflow`)."""

    def _ready_interruptions(self) -> list:
        workflows = [self, *self.subprocesses.values()]
        return [task for wf in workflows for task in wf.get_tasks(state=TaskState.READY)
                if isinstance(task.task_spec, BoundaryEvent) and task.task_spec.cancel_activity]

    def _inside(self, task, boundary) -> bool:
        """Whether `task` runs inside the activity `boundary` is attached to (in its sub-process or
        called process, at any depth). A throw from outside finds the activity waiting: nothing of
        it runs on, and SpiffWorkflow's order stays (instances recorded before replay alike)."""
        split = boundary.parent
        activity = next((c for c in split.children if not isinstance(c.task_spec, BoundaryEvent)), None) \
            if split is not None else None
        if activity is None:
            return False
        workflow = task.workflow
        while workflow is not self and getattr(workflow, "parent_task_id", None) is not None:
            if workflow.parent_task_id == activity.id:
                return True
            parent = self.get_task_from_id(workflow.parent_task_id)
            if parent is None:
                return False
            workflow = parent.workflow
        return False

    def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        def run(task) -> None:
            if will_complete_task is not None:
                will_complete_task(task)
            task.run()
            if did_complete_task is not None:
                did_complete_task(task)

        def update_workflow(wf) -> tuple[int, bool]:
            """(tasks run, whether an interruption ran and the walk must restart)."""
            count = 0
            if state_journal.automatic_ready(wf.top_workflow) is False:  # nothing to run: no tree walk
                return 0, False
            for task in wf.get_tasks(state=TaskState.READY):
                if task.task_spec.manual:
                    continue
                run(task)
                count += 1
                if isinstance(task.task_spec, BoundaryEventSplit):
                    # the activity is entered: a conditional boundary event already true fires first
                    interruptions = [c for c in task.children if c.state == TaskState.READY
                                     and isinstance(c.task_spec, BoundaryEvent) and c.task_spec.cancel_activity
                                     and isinstance(c.task_spec.event_definition, ConditionalEventDefinition)]
                elif _throws_signal_or_escalation(task.task_spec):
                    interruptions = [b for b in self._ready_interruptions() if self._inside(task, b)]
                else:
                    interruptions = []
                if interruptions:
                    for boundary in interruptions:
                        if boundary.state == TaskState.READY:
                            run(boundary)
                            count += 1
                    return count, True
            return count, False

        active_subprocesses = self.get_active_subprocesses()
        for subprocess in sorted(active_subprocesses, key=lambda v: v.depth, reverse=True):
            count = None
            while count is None or count > 0:
                count, interrupted = update_workflow(subprocess)
                if interrupted:
                    return True
            if subprocess.parent_task_id is not None:
                task = self.get_task_from_id(subprocess.parent_task_id)
                task.task_spec._update(task)

        count, interrupted = update_workflow(self)
        return interrupted or count > 0 or len(self.get_active_subprocesses()) > len(active_subprocesses)
