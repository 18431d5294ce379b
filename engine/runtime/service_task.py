"""The service task spec: runs the registered connector its `camunda:topic` (or type) names."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask


class ConnectorServiceTask(ServiceTask):
    """A service task whose work is done by a registered Python connector.

    The connector's name is `camunda:topic` (Camunda Modeler: Implementation "External",
    Topic), or else `camunda:type`; `camunda:properties` are passed to it.
    """

    def connector_name(self) -> str | None:
        ext = self.extensions or {}
        return ext.get("camunda:topic") or ext.get("camunda:type")

    def _execute(self, my_task):
        ext = self.extensions or {}
        properties = {k: v for k, v in ext.items() if not k.startswith("camunda:")}
        result = my_task.workflow.script_engine.call_connector(my_task, self.connector_name(), properties)
        if result:
            my_task.data.update(result)
        return True
