"""Multi-instance task specs that hand each collected output to the instance's variables.

SpiffWorkflow gathers a child's output item into the parent's output collection when
the child completes, outside the engine's step hooks (the parent is never "run"), so
the engine would not see the collection change; these subclasses report it.

They also bound the number of instances (DIWAN_MAX_MULTI_INSTANCE_ITEMS), and create
them without a copy of the variables: SpiffWorkflow gives each instance a copy of its
parent's data (50,000 items of a large case exhausted memory, and every command compared
those copies), while the engine seeds a task with the instance's variables when it runs
(runtime/workflow_run.py). An instance holds its item, as Camunda's local variable: an
item variable of the same name outside (a second multi-instance over the same `item`)
no longer stops the next one ("Multiinstance input item item already exists").

Each instance created grants the command's step budget one pass through it, so the
budget (DIWAN_MAX_STEPS) stops loops, not wide multi-instances.
"""
from __future__ import annotations

from collections.abc import Sized

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

DEFAULT_MAX_ITEMS = 10_000


class _ReportsOutputs:
    def create_child(self, my_task, item, key_or_index=None):
        # The instance inherits none of the parent's data (SpiffWorkflow copies it all): the
        # engine seeds the variables when the instance runs, and evaluations made between
        # runs read them too (DiwanScriptEngine.evaluate).
        saved, my_task.data = my_task.data, {}
        try:
            super().create_child(my_task, item, key_or_index)
        finally:
            my_task.data = saved
        run = getattr(my_task.workflow.script_engine, "run", None)
        if run is not None:
            run.grant_steps(_pass_length(my_task.workflow, self.task_spec))

    def merge_child(self, workflow, child):
        if self.data_output is None:
            # Without an output collection SpiffWorkflow merges the instance's data into its
            # parent's: the item (local to the instance, as in Camunda) and the variables it was
            # seeded with, which are the engine's and were written back when it ended. The
            # parent's data would change at each of 10,000 completions (and be stored again).
            saved, child.data = child.data, {}
            try:
                super().merge_child(workflow, child)
            finally:
                child.data = saved
            return
        super().merge_child(workflow, child)
        if self.data_output is not None:
            parent = child.parent
            run = getattr(workflow.script_engine, "run", None)
            if run is not None and self.data_output.exists(parent):
                run.collected(parent, self.data_output.bpmn_id, self.data_output.get(parent))


def _pass_length(workflow, inner_name: str) -> int:
    """Engine steps one instance takes when nothing in it loops: the task itself, and once
    each element of the subprocess it may be."""
    inner = workflow.spec.task_specs.get(inner_name)
    if isinstance(inner, SubWorkflowTask):
        top = getattr(workflow, "top_workflow", workflow)
        sub = getattr(top, "subprocess_specs", {}).get(inner.spec)
        if sub is not None:
            return 1 + len(sub.task_specs)
    return 1


def _count(spec, my_task) -> int | None:
    if spec.data_input is not None:
        items = spec.data_input.get(my_task)
        return len(items) if isinstance(items, Sized) else None
    cardinality = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
    if not isinstance(cardinality, int) or isinstance(cardinality, bool):
        raise WorkflowTaskException(f"the loop cardinality must be an integer, not {type(cardinality).__name__}",
                                    task=my_task)
    return cardinality


def _check_items(spec, my_task) -> None:
    count = _count(spec, my_task)
    if count is None:
        return
    limit = getattr(my_task.workflow.script_engine, "max_items", DEFAULT_MAX_ITEMS)
    if count > limit:
        raise WorkflowTaskException(
            f"the multi-instance would create {count} instances, more than the {limit} allowed "
            "(DIWAN_MAX_MULTI_INSTANCE_ITEMS)", task=my_task)


class ReportingParallelMultiInstance(_ReportsOutputs, ParallelMultiInstanceTask):
    def create_children(self, my_task):
        _check_items(self, my_task)
        super().create_children(my_task)
        my_task.internal_data["instances"] = sum(1 for _ in self._instances(my_task))

    def children_complete(self, my_task):
        # SpiffWorkflow looks at every instance each time one completes (quadratic in the
        # items); until as many have merged as were created, they cannot all be complete.
        created = my_task.internal_data.get("instances")
        if created is not None and len(my_task.internal_data.get("merged", ())) < created:
            return False
        return super().children_complete(my_task)


class ReportingSequentialMultiInstance(_ReportsOutputs, SequentialMultiInstanceTask):
    def _update_hook(self, my_task):
        if "remaining" not in my_task.internal_data and "cardinality" not in my_task.internal_data:
            _check_items(self, my_task)
        return super()._update_hook(my_task)
