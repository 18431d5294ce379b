"""What diwan's parser reads of SpiffArena's extensions: pre/post scripts, message payloads and
variables, a user task's form variable, a service task operator's parameters and result variable.

Mixed into every task and event parser of DiwanParser (camunda_parser.py); a file without the
spiffworkflow namespace is parsed exactly as before. Deploy-time checks are in spiff_dialect.py.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import first

from SpiffWorkflow.bpmn.specs.event_definitions.message import CorrelationProperty

from ..runtime.extension_scripts import (
    PayloadErrorEventDefinition,
    PayloadEscalationEventDefinition,
    PayloadMessageEventDefinition,
    PayloadSignalEventDefinition,
    with_scripts,
)
from .spiff_inventory import SPIFF_NS

_NS = {"spiffworkflow": SPIFF_NS}
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFAULT_KEY = "MainCorrelationKey"  # SpiffWorkflow's spiff parser's name for it


def _extension_text(node, name: str) -> str | None:
    found = first(node.xpath(f"./bpmn:extensionElements/spiffworkflow:{name}", namespaces={"bpmn": BPMN, **_NS}))
    return found.text if found is not None else None


def _message_text(node, name: str) -> str | None:
    found = first(node.xpath(f".//spiffworkflow:{name}", namespaces=_NS))
    return found.text.strip() if found is not None and found.text else None


def _text_of(node) -> str:
    return (node.text or "").strip() if node is not None else ""


class SpiffExtensionsMixin:
    """Pre/post scripts on the spec a task parser creates; payload and variable on message definitions."""

    def create_task(self):
        task = super().create_task()
        variable = _extension_text(self.node, "variableName")
        if variable and variable.strip():  # a user task's form data becomes this one variable
            task.form_variable = variable.strip()
        operator = first(self.node.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator",
                                         namespaces={"bpmn": BPMN, **_NS}))
        if operator is not None:  # the connector is its camunda:topic (spiff_dialect.py)
            task.operator_params = {p.get("id"): p.get("value").strip() or "None"
                                    for p in operator.iter(f"{{{SPIFF_NS}}}parameter") if p.get("value") is not None}
            task.result_variable = (operator.get("resultVariable") or "").strip() or None
        return with_scripts(task, _extension_text(self.node, "preScript"), _extension_text(self.node, "postScript"))

    def _copy_task_attrs(self, original, loop_characteristics=None):
        """A loop or multi-instance activity runs its pre and post scripts once around the whole loop,
        or on each instance with spiffworkflow:scriptsOnInstances="true" (as SpiffArena does)."""
        super()._copy_task_attrs(original, loop_characteristics)
        on_instances = loop_characteristics is not None and \
            loop_characteristics.get(f"{{{SPIFF_NS}}}scriptsOnInstances", "").strip().lower() == "true"
        pre, post = getattr(original, "prescript", None), getattr(original, "postscript", None)
        if not on_instances and (pre is not None or post is not None):
            with_scripts(self.task, pre, post)
            original.prescript = original.postscript = None

    def parse_message_event(self, message_event):
        definition = super().parse_message_event(message_event)
        # SpiffArena writes them on the bpmn:message (now) or on the event definition / task (before).
        message = self.doc_xpath(f".//bpmn:message[@id='{message_event.get('messageRef')}']") \
            if message_event.get("messageRef") else []
        sources = [*message[:1], message_event]
        expression = next((t for t in (_message_text(s, "messagePayload") for s in sources) if t), None)
        variable = next((t for t in (_message_text(s, "messageVariable") for s in sources) if t), None)
        event = message_event.getparent()
        if event is not None and message_event.tag.endswith("}messageEventDefinition"):
            # SpiffArena's older placement: the message event's own extensionElements.
            expression = expression or _extension_text(event, "messagePayload")
            variable = variable or _extension_text(event, "messageVariable")
            expression, variable = (expression or None) and expression.strip(), (variable or None) and variable.strip()
        process_correlations = self._process_correlations(message_event)
        if SPIFF_NS in (self.node.getroottree().getroot().nsmap or {}).values():
            # SpiffArena gives a correlation property that no bpmn:correlationKey uses a default key
            # (SpiffWorkflow's spiff parser does the same); without one its values would go nowhere.
            for prop in [*definition.correlation_properties, *process_correlations]:
                if not prop.correlation_keys:
                    prop.correlation_keys.append(DEFAULT_KEY)
        if expression is None and variable is None and not process_correlations:
            return definition
        return PayloadMessageEventDefinition(definition.name, definition.correlation_properties, expression,
                                             variable, process_correlations, description=definition.description)

    def parse_signal_event(self, signal_event):
        return self._with_payload(super().parse_signal_event(signal_event), signal_event, "signal",
                                  PayloadSignalEventDefinition)

    def parse_error_event(self, error_event):
        return self._with_payload(super().parse_error_event(error_event), error_event, "error",
                                  PayloadErrorEventDefinition)

    def parse_escalation_event(self, escalation_event):
        return self._with_payload(super().parse_escalation_event(escalation_event), escalation_event, "escalation",
                                  PayloadEscalationEventDefinition)

    def _with_payload(self, definition, event_definition, tag: str, cls):
        """The definition with SpiffArena's payloadExpression and variableName of the bpmn:signal, error or
        escalation it refers to (unchanged when that element has neither)."""
        ref = event_definition.get(f"{tag}Ref")
        target = first(self.doc_xpath(f".//bpmn:{tag}[@id='{ref}']")) if ref else None
        if target is None:
            return definition
        expression = _extension_text(target, "payloadExpression")
        variable = _extension_text(target, "variableName")
        expression = expression.strip() if expression and expression.strip() else None
        variable = variable.strip() if variable and variable.strip() else None
        if expression is None and variable is None:
            return definition
        return cls.wrapping(definition, expression, variable)

    def _process_correlations(self, message_event) -> list[CorrelationProperty]:
        """SpiffArena's processVariableCorrelation: a property's value computed from the instance's variables."""
        nodes = list(message_event.xpath(".//spiffworkflow:processVariableCorrelation", namespaces=_NS))
        event = message_event.getparent()
        if event is not None and message_event.tag.endswith("}messageEventDefinition"):
            nodes += event.xpath("./bpmn:extensionElements/spiffworkflow:processVariableCorrelation",
                                 namespaces={"bpmn": BPMN, **_NS})
        found = []
        for node in nodes:
            key = _text_of(first(node.xpath("./spiffworkflow:propertyId", namespaces=_NS)))
            expression = _text_of(first(node.xpath("./spiffworkflow:expression", namespaces=_NS)))
            used_by = [ref.getparent().get("name") for ref in
                       self.doc_xpath(f"//bpmn:collaboration//bpmn:correlationPropertyRef[text()='{key}']")]
            found.append(CorrelationProperty(key, expression, used_by))
        return found
