"""The business rule task spec: a decision's result into `camunda:resultVariable`, mapped as
`camunda:mapDecisionResult` says (Camunda 7: resultList by default, singleEntry, singleResult,
collectEntries); without a result variable each output column sets the variable of its name."""
from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.dmn.specs.model import HitPolicy


class DecisionTask(BusinessRuleTask):

    def _run_hook(self, my_task):
        ext = self.extensions or {}
        variable = ext.get("camunda:resultVariable")
        if not variable:
            return super()._run_hook(my_task)
        engine = self.dmnEngine
        rules = engine.decide(my_task)
        if engine.decision_table.hit_policy != HitPolicy.COLLECT.value:
            rules = rules[:1]
        rows = [dict(rule.output_as_dict(my_task)) for rule in rules]
        my_task.data[variable] = map_result(rows, ext.get("camunda:mapDecisionResult") or "resultList", my_task)
        return super(BusinessRuleTaskMixin, self)._run_hook(my_task)


def map_result(rows: list[dict], mapping: str, task=None):
    """Camunda 7's DecisionResultMapper: what the result variable holds."""
    if mapping == "resultList":
        return rows
    if mapping == "collectEntries":
        if any(len(r) != 1 for r in rows):
            raise WorkflowTaskException("mapDecisionResult collectEntries needs a decision with one output", task=task)
        return [next(iter(r.values())) for r in rows]
    if len(rows) > 1:
        raise WorkflowTaskException(f"mapDecisionResult {mapping} needs at most one matching rule, "
                                    f"{len(rows)} matched", task=task)
    if mapping == "singleResult":
        return rows[0] if rows else None
    if mapping == "singleEntry":
        if rows and len(rows[0]) != 1:
            raise WorkflowTaskException("mapDecisionResult singleEntry needs a decision with one output", task=task)
        return next(iter(rows[0].values())) if rows else None
    raise WorkflowTaskException(f"unknown mapDecisionResult {mapping!r}", task=task)
