"""Error and escalation event definitions that know Camunda's error message and code variables.

`camunda:errorMessage` on a `bpmn:error` is the message an error end event throws;
`camunda:errorCodeVariable` / `camunda:errorMessageVariable` on a catching error event definition
name the variables that receive the caught error's code and message, `camunda:escalationCodeVariable`
the caught escalation's code (WorkflowRun._caught_error). The definition the parser built (SpiffWorkflow's,
or SpiffArena's with a payload, spiff_parser.py) is kept and given these on top.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition, EscalationEventDefinition

CAUGHT_CODE = "diwan_error"  # internal_data key: the caught error's (or escalation's) code and message


class CamundaCodes:
    """Mixin over an error or escalation event definition: records what it catches."""

    message: str | None = None
    code_variable: str | None = None
    message_variable: str | None = None

    def __eq__(self, other):
        # Errors thrown by scripts and workers carry SpiffWorkflow's own class: match them by code.
        kind = ErrorEventDefinition if isinstance(self, ErrorEventDefinition) else EscalationEventDefinition
        return isinstance(other, kind) and self.code in [None, other.code]

    def catch(self, my_task, event=None):
        thrown = event.event_definition
        message = getattr(thrown, "message", None)
        if message is None and type(thrown) is ErrorEventDefinition and isinstance(event.payload, dict):
            message = event.payload.get("error_message")  # BpmnError(code, message), a worker's error
        my_task.internal_data[CAUGHT_CODE] = {"code": thrown.code, "message": message}
        super().catch(my_task, event)


_CLASSES: dict[type, type] = {}


def with_camunda(definition, message: str | None = None, code_variable: str | None = None,
                 message_variable: str | None = None):
    """The parsed definition, with Camunda's error message and code variables."""
    base = type(definition)
    cls = _CLASSES.get(base)
    if cls is None:
        cls = _CLASSES[base] = type("Camunda" + base.__name__, (CamundaCodes, base), {"__hash__": base.__hash__})
    wrapped = cls.__new__(cls)
    wrapped.__dict__.update(definition.__dict__)
    wrapped.message, wrapped.code_variable, wrapped.message_variable = message, code_variable, message_variable
    return wrapped
