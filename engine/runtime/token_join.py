"""A join that starts its activity once a number of tokens has arrived: `startQuantity`.

BPMN 2.0 §10.2 (Activity): an activity with startQuantity N starts once N tokens have arrived on
its incoming sequence flows, whichever flows they came by, and consumes them. SpiffWorkflow ignores
the attribute (every token starts the activity). transforms/token_quantities.py puts a
`parallelGateway` marked `diwan:startQuantity` before such an activity; DiwanParser builds this
spec for it. Each token that reaches the join adds to the count of the one waiting before it
(which is cancelled, as SpiffWorkflow's unstructured joins do), and the join fires when the count
reaches N. The count lives in the task's internal data, so it is stored with the instance.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway
from SpiffWorkflow.util.task import TaskState


class TokenJoin(ParallelGateway):
    def __init__(self, wf_spec, bpmn_id, tokens: int = 1, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.tokens = tokens

    def _update_hook(self, my_task):
        if my_task._get_internal_data("tokens") is None:
            others = [t for t in my_task.workflow.tasks.values()
                      if t.task_spec == self and t != my_task and t.state == TaskState.WAITING]
            my_task._set_internal_data(tokens=1 + sum(t._get_internal_data("tokens") or 1 for t in others))
            for task in others:
                task.cancel()
        if my_task._get_internal_data("tokens") < self.tokens:
            my_task._set_state(TaskState.WAITING)
            return False
        my_task._inherit_data()
        return True
