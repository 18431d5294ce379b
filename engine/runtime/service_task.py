"""The service task spec: runs the registered connector its `camunda:topic` (or type) names, or
waits for an external worker when its topic names no registered connector (an external task)."""
from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.util.task import TaskState

from ..values import InvalidValue, ValueLimits, check_variables


class ConnectorServiceTask(ServiceTask):
    """A service task whose work is done by a registered Python connector, or by a worker.

    The connector's name is `camunda:topic` (Camunda Modeler: Implementation "External",
    Topic), or else `camunda:type`; `camunda:properties` are passed to it. A topic that no
    connector of the engine's registry answers to makes the task an **external task**
    (Camunda 7's): when it is reached it goes straight to STARTED, never READY, so no
    engine step runs it (nor records it as completed); it waits there until a worker
    completes it or throws a BPMN error through `runtime/external_tasks.py`.
    """

    # SpiffArena's serviceTaskOperator (definitions/spiff_parser.py): parameter -> Python expression,
    # and the variable the connector's result becomes.
    operator_params: dict | None = None
    result_variable: str | None = None

    def connector_name(self) -> str | None:
        ext = self.extensions or {}
        return ext.get("camunda:topic") or ext.get("camunda:type")

    def topic(self) -> str | None:
        return (self.extensions or {}).get("camunda:topic")

    def is_external(self, connectors) -> bool:
        """Whether the task waits for an external worker (its topic names no connector)."""
        topic = self.topic()
        return bool(topic) and (connectors is None or topic not in connectors)

    def _update_hook(self, my_task):
        if my_task.state == TaskState.STARTED:  # already waiting for its worker
            return False
        ready = super()._update_hook(my_task)
        if ready and self.is_external(getattr(my_task.workflow.script_engine, "connectors", None)):
            if self.operator_params:
                raise WorkflowTaskException(
                    f"the SpiffArena operator {self.topic()!r} names no registered connector, and its parameters "
                    "cannot reach an external worker: register the connector or remove the parameters", task=my_task)
            my_task._set_state(TaskState.STARTED)
            return False
        return ready

    def _execute(self, my_task):
        ext = self.extensions or {}
        properties = {k: v for k, v in ext.items() if not k.startswith("camunda:")}
        engine = my_task.workflow.script_engine
        for name, expression in (self.operator_params or {}).items():
            properties[name] = engine.evaluate(my_task, expression)
        if self.operator_params:  # evaluated values go to the connector and the outbox: keep them storable
            try:
                properties = check_variables(properties, ValueLimits(max_variable_bytes=engine.host.limits.max_variable_bytes))
            except InvalidValue as exc:
                raise WorkflowTaskException(f"operator parameter {exc}", task=my_task) from None
        result = engine.call_connector(my_task, self.connector_name(), properties)
        if self.result_variable:
            my_task.data[self.result_variable] = dict(result or {})
        elif result:
            my_task.data.update(result)
        return True
