"""The SpiffArena (`spiffworkflow:` namespace) extension elements and attributes, and what diwan does with each.

SpiffArena's modeler (bpmn-js-spiffworkflow) writes these names; SpiffWorkflow's spiff parser
(SpiffWorkflow/spiff/parser/) reads some of them, SpiffArena's backend others. Every name is
either run by diwan (`IMPLEMENTED`, each with a test in tests/engine/test_spiff_dialect.py),
without any effect on a run in SpiffArena either (`NO_EFFECT`: editor or modeler data), or
refused at deploy naming the element and the reason (`REFUSED`). A name in no table is refused
as unknown. tests/engine/test_spiff_inventory.py walks SpiffWorkflow's spiff parser sources and
its XSD for the names they read, so a new one cannot slip by.
"""
from __future__ import annotations

from ..messages import Msg, msg

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# Extension elements (children of bpmn:extensionElements, or of bpmn:message / an event definition).
IMPLEMENTED: dict[str, str] = {
    "preScript": "Python run in the sandbox when the activity becomes ready; what it sets becomes instance variables",
    "postScript": "Python run in the sandbox when the activity completes; what it sets becomes instance variables",
    "calledDecisionId": "the deployed DMN decision a business rule task evaluates (as camunda:decisionRef)",
    "messagePayload": "a Python expression, evaluated in the sandbox when the message is thrown: the data the "
                      "receiving instance gets",
    "messageVariable": "the variable a catching event or receive task (or message start) puts the message's data in",
    "properties": "name/value pairs kept in the task's extensions (as camunda:properties: a connector gets them)",
    "instructionsForEndUser": "plain text shown with the task (its documentation); a Jinja template is refused",
    "variableName": "on a user task: the variable the submitted form data becomes (one dict) instead of one "
                    "variable per field; on a bpmn:signal, error or escalation: the variable a catch puts its "
                    "payload in",
    "payloadExpression": "on a bpmn:signal, error or escalation: a Python expression evaluated in the sandbox "
                         "when it is thrown (a dict): the payload its catch events receive",
    "processVariableCorrelation": "on a catching message event: the instance's own value of a correlation property, "
                                  "computed in the sandbox from its variables when a message arrives (the message "
                                  "must carry the same value)",
    "serviceTaskOperator": "the connector a service task calls (as camunda:topic: a registered connector, else "
                           "an external task); each parameter's value is a Python expression evaluated in the "
                           "sandbox and passed to the connector as a property; resultVariable receives its result",
}
NO_EFFECT: dict[str, str] = {
    "unitTests": "script unit tests that SpiffArena's editor runs on demand: no effect on a run",
}
REFUSED: dict[str, Msg] = {
    "retry": msg("SpiffArena's operator retries are not supported (SpiffWorkflow stores them and never uses them)"),
    "allowGuest": msg("diwan has no guest (anonymous) task completion"),
    "guestConfirmation": msg("diwan has no guest (anonymous) task completion"),
    "signalButtonLabel": msg("diwan's inbox has no signal buttons: send the signal through the API"),
    "processModelToStartOnTaskAvailable": msg("diwan does not start a process when a task becomes available"),
    "taskMetadataValues": msg("SpiffArena's task metadata expressions are not evaluated by diwan"),
    "category": msg("SpiffArena's data object categories (display and access rules) are not supported"),
}
# Elements that only appear inside another one: they follow their parent's fate.
NESTED: dict[str, str] = {
    "property": "properties",
    "unitTest": "unitTests", "inputJson": "unitTests", "expectedOutputJson": "unitTests",
    "parameters": "serviceTaskOperator", "parameter": "serviceTaskOperator",
    "taskMetadataValue": "taskMetadataValues",
    "propertyId": "processVariableCorrelation", "expression": "processVariableCorrelation",
}

# Extension attributes (spiffworkflow:NAME="..." on a BPMN element).
ATTRIBUTES_NO_EFFECT: dict[str, str] = {
    "isMatchingCorrelation": "a SpiffArena modeler flag: no effect on a run",
    "isOutputSynced": "a SpiffArena modeler flag: no effect on a run",
    "jsonSchemaId": "links a message to a SpiffArena JSON schema in the modeler: no effect on a run",
}
ATTRIBUTES_IMPLEMENTED: dict[str, str] = {
    "scriptsOnInstances": "on loop and multi-instance characteristics: the activity's pre and post scripts run on "
                          "each instance instead of once around the whole loop",
}
ATTRIBUTES_REFUSED: dict[str, str] = {}

# SpiffArena properties (spiffworkflow:property names) that mean something to SpiffArena itself.
PROPERTIES_REFUSED: dict[str, Msg] = {
    "formJsonSchemaFilename": msg("SpiffArena's JSON-Schema forms are not supported: give the task a form-js form "
                              "(camunda:formKey)"),
    "formUiSchemaFilename": msg("SpiffArena's JSON-Schema forms are not supported: give the task a form-js form "
                            "(camunda:formKey)"),
}

# Where diwan runs pre and post scripts (SpiffWorkflow's SpiffBpmnTask activities; send and receive
# tasks are left out: SpiffWorkflow's own receive task never runs its pre-script).
SCRIPTED_TAGS = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "businessRuleTask", "serviceTask", "subProcess",
    "callActivity", "transaction",
})


def known_names() -> set[str]:
    """Every element and attribute name this inventory decides on."""
    return (set(IMPLEMENTED) | set(NO_EFFECT) | set(REFUSED) | set(NESTED) | set(ATTRIBUTES_IMPLEMENTED)
            | set(ATTRIBUTES_NO_EFFECT) | set(ATTRIBUTES_REFUSED))
