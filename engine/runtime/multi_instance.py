"""Multi-instance task specs that hand each collected output to the instance's variables.

SpiffWorkflow gathers a child's output item into the parent's output collection when
the child completes, outside the engine's step hooks (the parent is never "run"), so
the engine would not see the collection change; these subclasses report it.

They also bound the number of instances (DIWAN_MAX_MULTI_INSTANCE_ITEMS) and what
creating them costs: SpiffWorkflow gives each parallel instance its own copy of the
variables, so 50,000 items of a large case exhausted memory.
"""
from __future__ import annotations

from collections.abc import Sized

import orjson
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask

DEFAULT_MAX_ITEMS = 10_000
MAX_COPIED_BYTES = 256 * 1024 * 1024
"""What the variables' copies of one parallel multi-instance may take in all."""


class _ReportsOutputs:
    def merge_child(self, workflow, child):
        super().merge_child(workflow, child)
        if self.data_output is not None:
            parent = child.parent
            run = getattr(workflow.script_engine, "run", None)
            if run is not None and self.data_output.exists(parent):
                run.collected(parent, self.data_output.bpmn_id, self.data_output.get(parent))


def _count(spec, my_task) -> int | None:
    if spec.data_input is not None:
        items = spec.data_input.get(my_task)
        return len(items) if isinstance(items, Sized) else None
    cardinality = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
    if not isinstance(cardinality, int) or isinstance(cardinality, bool):
        raise WorkflowTaskException(f"the loop cardinality must be an integer, not {type(cardinality).__name__}",
                                    task=my_task)
    return cardinality


def _check_items(spec, my_task, parallel: bool) -> None:
    count = _count(spec, my_task)
    if count is None:
        return
    limit = getattr(my_task.workflow.script_engine, "max_items", DEFAULT_MAX_ITEMS)
    if count > limit:
        raise WorkflowTaskException(
            f"the multi-instance would create {count} instances, more than the {limit} allowed "
            "(DIWAN_MAX_MULTI_INSTANCE_ITEMS)", task=my_task)
    if parallel and count:
        size = len(orjson.dumps(my_task.data, default=str, option=orjson.OPT_NON_STR_KEYS))
        if size * count > MAX_COPIED_BYTES:
            raise WorkflowTaskException(
                f"the multi-instance would copy the instance's variables ({size} bytes) {count} times, more than "
                f"{MAX_COPIED_BYTES // (1024 * 1024)} MB in all: fewer items, or smaller variables", task=my_task)


class ReportingParallelMultiInstance(_ReportsOutputs, ParallelMultiInstanceTask):
    def create_children(self, my_task):
        _check_items(self, my_task, parallel=True)
        super().create_children(my_task)


class ReportingSequentialMultiInstance(_ReportsOutputs, SequentialMultiInstanceTask):
    def _update_hook(self, my_task):
        if "remaining" not in my_task.internal_data and "cardinality" not in my_task.internal_data:
            _check_items(self, my_task, parallel=False)
        return super()._update_hook(my_task)
