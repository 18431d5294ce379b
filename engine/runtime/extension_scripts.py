"""SpiffArena's pre and post scripts on activities, and message, signal, error and escalation payloads,
as task spec behaviour.

`spiffworkflow:preScript` runs when the activity becomes ready (once the step that readied it has
written its variables; before a user sees a user task, before a script task's own script), `spiffworkflow:postScript` when it completes (after a form is
submitted, after the task's own work), as SpiffWorkflow's SpiffBpmnTask runs them. Both go through
the command's script engine (the sandbox) and through WorkflowRun, which writes what they set into
the instance's variables and records it (`script_ran` events), so replay and time travel see it.
A spec gets these behaviours by a subclass of its own class (`with_scripts`), made once per class.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent

PRE_DONE = "diwan_pre_script_done"  # internal data: the pre-script of this task ran (once per task)
CAUGHT = "diwan_caught_payload"  # internal data: a caught signal/error/escalation payload, until written


class ExtensionScripts:
    """Runs a spec's `prescript` when it becomes ready and its `postscript` when it completes."""

    prescript: str | None = None
    postscript: str | None = None

    def _update_hook(self, my_task):
        ready = super()._update_hook(my_task)
        if self.prescript is not None and not my_task.internal_data.get(PRE_DONE):
            my_task.internal_data[PRE_DONE] = True
            # The task becomes ready while the previous step completes, before that step's writes
            # reach the variables: the run runs the pre-script right after (WorkflowRun.pre_script).
            my_task.workflow.script_engine.run.pre_script(my_task, self.prescript)
        return ready

    def _on_complete_hook(self, my_task):
        if self.postscript is not None:
            my_task.workflow.script_engine.run.extension_script(my_task, self.postscript, "post")
        super()._on_complete_hook(my_task)


_SCRIPTED: dict[type, type] = {}


def with_scripts(spec, prescript: str | None, postscript: str | None):
    """The spec, turned into its class's scripted variant holding these scripts (None: unchanged)."""
    if prescript is None and postscript is None:
        return spec
    cls = type(spec)
    scripted = _SCRIPTED.get(cls)
    if scripted is None:
        scripted = _SCRIPTED[cls] = type(f"Scripted{cls.__name__}", (ExtensionScripts, cls), {})
    spec.__class__ = scripted
    spec.prescript = prescript
    spec.postscript = postscript
    return spec


class PayloadMessageEventDefinition(MessageEventDefinition):
    """A message with SpiffArena's payload expression (thrown) and message variable (caught).

    It equals a plain message of the same name (the engine correlates with plain ones). The
    payload is evaluated by the script engine (the sandbox) over the task's data; the message
    variable is applied by WorkflowRun when the message is delivered.
    """

    def __init__(self, name, correlation_properties=None, expression=None, message_var=None,
                 process_correlations=None, **kwargs):
        super().__init__(name, correlation_properties, **kwargs)
        self.expression = expression
        self.message_var = message_var
        # SpiffArena's processVariableCorrelation: applied by WorkflowRun when a message arrives (from the
        # variables as they are then; SpiffWorkflow's own update_task would read stale task data).
        self.process_correlations = process_correlations or []

    def __eq__(self, other):
        return isinstance(other, MessageEventDefinition) and self.name == other.name

    def throw(self, my_task):
        payload = {}
        if self.expression is not None:
            payload = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if not isinstance(payload, dict):
                raise WorkflowTaskException(f"the payload of message {self.name!r} must be a dict of variables "
                                            f"(name: value), not {type(payload).__name__}", task=my_task)
        correlations = self.get_correlations(my_task, payload)
        my_task.workflow.correlations.update(correlations)
        event = BpmnEvent(self, payload=payload, correlations=correlations)
        my_task.workflow.top_workflow.catch(event)


class PayloadItems:
    """SpiffArena's `payloadExpression` (evaluated in the sandbox when thrown; a dict, or None without
    one) and `variableName` (the variable a catch puts it in, written by WorkflowRun) on signals,
    errors and escalations. Equal to the plain definition of the same name (and code)."""

    expression: str | None = None
    variable: str | None = None

    @classmethod
    def wrapping(cls, definition, expression: str | None, variable: str | None):
        wrapped = cls.__new__(cls)
        wrapped.__dict__.update(definition.__dict__)
        wrapped.expression, wrapped.variable = expression, variable
        return wrapped

    def throw(self, my_task):
        payload = None
        if self.expression is not None:
            payload = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if not isinstance(payload, dict):
                raise WorkflowTaskException(f"the payload of {self.name!r} must be a dict of variables (name: value), "
                                            f"not {type(payload).__name__}", task=my_task)
        target = None if isinstance(self, SignalEventDefinition) else my_task.workflow
        my_task.workflow.top_workflow.catch(BpmnEvent(self, payload=payload, target=target))

    def update_task_data(self, my_task):
        """Keep what was caught for WorkflowRun, which writes the variable (the catch's task data is
        SpiffWorkflow's copy, and `reset` drops the payload before the step hooks see it)."""
        if self.variable is not None and self.name in my_task.internal_data:
            my_task.internal_data[CAUGHT] = my_task.internal_data[self.name]


class PayloadSignalEventDefinition(PayloadItems, SignalEventDefinition):
    def __eq__(self, other):
        return isinstance(other, SignalEventDefinition) and self.name == other.name


class PayloadErrorEventDefinition(PayloadItems, ErrorEventDefinition):
    def __eq__(self, other):
        return isinstance(other, ErrorEventDefinition) and self.code in [None, other.code]


class PayloadEscalationEventDefinition(PayloadItems, EscalationEventDefinition):
    def __eq__(self, other):
        return isinstance(other, EscalationEventDefinition) and self.code in [None, other.code]
