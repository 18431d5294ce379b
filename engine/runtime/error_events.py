"""Error and escalation event definitions that know Camunda's error message and code variables.

`camunda:errorMessage` on a `bpmn:error` is the message an error end event throws;
`camunda:errorCodeVariable` / `camunda:errorMessageVariable` on a catching error event definition
name the variables that receive the caught error's code and message, `camunda:escalationCodeVariable`
the caught escalation's code (WorkflowRun._caught_error).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition, EscalationEventDefinition


class CamundaErrorEventDefinition(ErrorEventDefinition):
    """An error event definition parsed from a diagram (thrown by an end event, or caught)."""

    def __init__(self, name, code=None, message=None, code_variable=None, message_variable=None, **kwargs):
        super().__init__(name, code, **kwargs)
        self.message = message
        self.code_variable = code_variable
        self.message_variable = message_variable

    def __eq__(self, other):
        # Errors thrown by scripts and workers carry SpiffWorkflow's own class: match them by code.
        return isinstance(other, ErrorEventDefinition) and self.code in [None, other.code]

    __hash__ = ErrorEventDefinition.__hash__

    def catch(self, my_task, event=None):
        thrown = event.event_definition
        message = getattr(thrown, "message", None)
        if message is None and not isinstance(thrown, CamundaErrorEventDefinition):
            message = (event.payload or {}).get("error_message")
        my_task.internal_data["diwan_error"] = {"code": thrown.code, "message": message}
        super().catch(my_task, event)


class CamundaEscalationEventDefinition(EscalationEventDefinition):
    """An escalation event definition parsed from a diagram, with `camunda:escalationCodeVariable`."""

    def __init__(self, name, code=None, code_variable=None, **kwargs):
        super().__init__(name, code, **kwargs)
        self.code_variable = code_variable
        self.message_variable = None

    def __eq__(self, other):
        return isinstance(other, EscalationEventDefinition) and self.code in [None, other.code]

    __hash__ = EscalationEventDefinition.__hash__

    def catch(self, my_task, event=None):
        my_task.internal_data["diwan_error"] = {"code": event.event_definition.code, "message": None}
        super().catch(my_task, event)
