"""Multi-instance task specs that hand each collected output to the instance's variables.

SpiffWorkflow gathers a child's output item into the parent's output collection when
the child completes, outside the engine's step hooks (the parent is never "run"), so
the engine would not see the collection change; these subclasses report it.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask


class _ReportsOutputs:
    def merge_child(self, workflow, child):
        super().merge_child(workflow, child)
        if self.data_output is not None:
            parent = child.parent
            run = getattr(workflow.script_engine, "run", None)
            if run is not None and self.data_output.exists(parent):
                run.collected(parent, self.data_output.bpmn_id, self.data_output.get(parent))


class ReportingParallelMultiInstance(_ReportsOutputs, ParallelMultiInstanceTask):
    pass


class ReportingSequentialMultiInstance(_ReportsOutputs, SequentialMultiInstanceTask):
    pass
