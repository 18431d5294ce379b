"""Every type and property of camunda-bpmn-moddle's descriptor (camunda.json), classified.

One entry per line, keyed `Type` or `Type.property` as the descriptor names them:
- `implemented(test)`: diwan runs it; `test` names the test (file::function) proving its effect;
- `inert(test, allowed)`: accepted without effect on the run (modeler metadata, or a value that is
  Camunda's default); with `allowed`, any other value is refused;
- `refused(reason)`: refused at deploy, naming the element and the reason;
- `not_yet(reason)`: refused at deploy for now (another branch implements it);
- `attributes()`: an extension or abstract type: only its properties are classified.
`tests/engine/test_camunda_inventory.py` reads camunda.json and fails on anything unclassified;
`camunda_check.py` refuses at deploy what a diagram holds and this table does not implement.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..messages import msg

IMPLEMENTED, INERT, REFUSED, NOT_YET, ATTRIBUTES = "implemented", "inert", "refused", "not yet", "attributes"
MAPPINGS = "tests/engine/test_camunda_mappings.py::"
INVENTORY_TESTS = "tests/engine/test_camunda_inventory.py::"


@dataclass(frozen=True)
class Entry:
    status: str
    note: str = ""  # the proving test (implemented, inert) or the reason (refused, not yet)
    allowed: tuple[str, ...] | None = None  # inert/implemented only with these values
    only_on: tuple[str, ...] | None = None  # implemented only on these BPMN elements (local names)
    by: str | None = None  # the module that checks its values and placement itself, naming the field


def implemented(test: str, allowed: tuple[str, ...] | None = None, only_on: tuple[str, ...] | None = None,
                by: str | None = None) -> Entry:
    return Entry(IMPLEMENTED, test, allowed, only_on, by)


def inert(test: str, allowed: tuple[str, ...] | None = None) -> Entry:
    return Entry(INERT, test, allowed)


def refused(reason: str, by: str | None = None) -> Entry:
    return Entry(REFUSED, reason, by=by)


def not_yet(reason: str) -> Entry:
    return Entry(NOT_YET, reason)


def attributes() -> Entry:
    return Entry(ATTRIBUTES)


JAVA = msg("Java code does not run in diwan: name a connector with camunda:topic, or write Python in a script task")
NO_JOBS = msg("diwan has no asynchronous continuations (a step runs in the command that reaches it)")
FORM_DATA = "forms/camunda_form_data.py"
STARTERS = msg("candidate starters by camunda:potentialStarter are not supported: use camunda:candidateStarterGroups/Users")
ACTIVITIES = ("task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
              "businessRuleTask", "subProcess", "transaction", "callActivity")
INERT_TEST = INVENTORY_TESTS + "test_inert_attributes__deploy_and_run"
EXISTING = {name: INVENTORY_TESTS + f"test_existing__{name.lower()}" for name in (
    "formKey", "formRef", "candidateGroups", "candidateUsers", "assignee", "dueDate", "priority", "topic", "type",
    "taskPriority", "properties", "collection", "decisionRef")}

CAMUNDA_INVENTORY: dict[str, Entry] = {
    "Definitions": attributes(),
    "Definitions.diagramRelationId": inert(INERT_TEST),
    "InOutBinding": attributes(),
    "InOutBinding.source": implemented(MAPPINGS + "test_call_in_out__source_target"),
    "InOutBinding.sourceExpression": implemented(MAPPINGS + "test_call_in__source_expression"),
    "InOutBinding.target": implemented(MAPPINGS + "test_call_in_out__source_target"),
    "InOutBinding.businessKey": implemented(MAPPINGS + "test_call_in__business_key"),
    "InOutBinding.local": inert(INERT_TEST, allowed=("false",)),
    "InOutBinding.variables": implemented(MAPPINGS + "test_call_in_out__all_variables", allowed=("all",)),
    "In": implemented(MAPPINGS + "test_call_in_out__source_target", only_on=("callActivity",)),
    "Out": implemented(MAPPINGS + "test_call_in_out__source_target", only_on=("callActivity",)),
    "AsyncCapable": attributes(),
    "AsyncCapable.async": inert(INERT_TEST, allowed=("false",)),
    "AsyncCapable.asyncBefore": inert(INERT_TEST, allowed=("false",)),
    "AsyncCapable.asyncAfter": inert(INERT_TEST, allowed=("false",)),
    "AsyncCapable.exclusive": inert(INERT_TEST),
    "JobPriorized": attributes(),
    "JobPriorized.jobPriority": refused(msg("{reason}, so there is no job to prioritize", reason=NO_JOBS)),
    "SignalEventDefinitionExtension": attributes(),
    "SignalEventDefinitionExtension.async": inert(INERT_TEST, allowed=("false",)),
    "ErrorEventDefinitionExtension": attributes(),
    "ErrorEventDefinitionExtension.errorCodeVariable": implemented(MAPPINGS + "test_error_code_variable__boundary"),
    "ErrorEventDefinitionExtension.errorMessageVariable": implemented(MAPPINGS + "test_error_code_variable__boundary"),
    "ErrorEventDefinition": refused(msg("error events raised by an expression over an external task's result are not " "supported: the worker reports a BPMN error (handleBpmnError)")),
    "ErrorEventDefinition.expression": refused(msg("error events raised by an expression are not supported: the worker " "reports a BPMN error (handleBpmnError)")),
    "Error": attributes(),
    "Error.errorMessage": implemented(MAPPINGS + "test_error_code_variable__error_end_event_message"),
    "PotentialStarter": refused(STARTERS),
    "PotentialStarter.resourceAssignmentExpression": refused(STARTERS),
    "FormSupported": attributes(),
    "FormSupported.formHandlerClass": refused(JAVA),
    "FormSupported.formKey": implemented(EXISTING["formKey"]),
    "FormSupported.formRef": implemented(EXISTING["formRef"]),
    "FormSupported.formRefBinding": inert(INERT_TEST, allowed=("latest",)),
    "FormSupported.formRefVersion": refused(msg("a form is bound to the version current when the instance starts: " "remove camunda:formRefVersion")),
    "TemplateSupported": attributes(),
    "TemplateSupported.modelerTemplate": inert(INERT_TEST),
    "TemplateSupported.modelerTemplateVersion": inert(INERT_TEST),
    "Initiator": attributes(),
    "Initiator.initiator": implemented("tests/engine/test_camunda_starters.py::test_initiator__the_starter_is_stored_and_assigned", by="translate._camunda_starters"),
    "ScriptTask": attributes(),
    "ScriptTask.resultVariable": implemented(MAPPINGS + "test_script_result_variable__last_expression"),
    "ScriptTask.resource": refused(msg("external script resources are not supported: write the script in the diagram")),
    "Process": attributes(),
    "Process.candidateStarterGroups": implemented("tests/engine/test_camunda_starters.py::test_candidate_starters__groups_and_users_of_the_diagram"),
    "Process.candidateStarterUsers": implemented("tests/engine/test_camunda_starters.py::test_candidate_starters__groups_and_users_of_the_diagram"),
    "Process.versionTag": inert(INERT_TEST),
    "Process.historyTimeToLive": inert(INERT_TEST),
    "Process.isStartableInTasklist": inert(INERT_TEST, allowed=("true",)),
    "EscalationEventDefinitionExtension": attributes(),
    "EscalationEventDefinitionExtension.escalationCodeVariable": implemented(MAPPINGS + "test_escalation_code_variable__boundary"),
    "FormalExpression": attributes(),
    "FormalExpression.resource": refused(msg("external expression resources are not supported: write the expression " "in the diagram")),
    "Assignable": attributes(),
    "Assignable.assignee": implemented(EXISTING["assignee"]),
    "Assignable.candidateUsers": implemented(EXISTING["candidateUsers"]),
    "Assignable.candidateGroups": implemented(EXISTING["candidateGroups"]),
    "Assignable.dueDate": implemented(EXISTING["dueDate"]),
    "Assignable.followUpDate": refused(msg("camunda:followUpDate is not supported: use camunda:dueDate")),
    "Assignable.priority": implemented(EXISTING["priority"]),
    "CallActivity": attributes(),
    "CallActivity.calledElementBinding": inert(INERT_TEST, allowed=("latest",)),
    "CallActivity.calledElementVersion": refused(msg("a called process is bound to the version current when the " "instance starts: remove camunda:calledElementVersion")),
    "CallActivity.calledElementVersionTag": refused(msg("a called process is bound to the version current when the " "instance starts: remove camunda:calledElementVersionTag")),
    "CallActivity.calledElementTenantId": refused(msg("diwan has no tenants")),
    "CallActivity.caseRef": refused(msg("CMMN cases are not supported")),
    "CallActivity.caseBinding": refused(msg("CMMN cases are not supported")),
    "CallActivity.caseVersion": refused(msg("CMMN cases are not supported")),
    "CallActivity.caseTenantId": refused(msg("CMMN cases are not supported")),
    "CallActivity.variableMappingClass": refused(msg("{reason} (use camunda:in and camunda:out)", reason=JAVA)),
    "CallActivity.variableMappingDelegateExpression": refused(msg("{reason} (use camunda:in and camunda:out)", reason=JAVA)),
    "ServiceTaskLike": attributes(),
    "ServiceTaskLike.expression": refused(JAVA),
    "ServiceTaskLike.class": refused(JAVA),
    "ServiceTaskLike.delegateExpression": refused(JAVA),
    "ServiceTaskLike.resultVariable": implemented(MAPPINGS + "test_decision_result_variable__result_list", only_on=("businessRuleTask",)),
    "DmnCapable": attributes(),
    "DmnCapable.decisionRef": implemented(EXISTING["decisionRef"]),
    "DmnCapable.decisionRefBinding": inert(INERT_TEST, allowed=("latest",)),
    "DmnCapable.decisionRefVersion": refused(msg("a decision is bound to the version current when the instance " "starts: remove camunda:decisionRefVersion")),
    "DmnCapable.mapDecisionResult": implemented( MAPPINGS + "test_decision_result_variable__map_decision_result", allowed=("resultList", "singleEntry", "singleResult", "collectEntries")),
    "DmnCapable.decisionRefTenantId": refused(msg("diwan has no tenants")),
    "ExternalCapable": attributes(),
    "ExternalCapable.type": implemented(EXISTING["type"], allowed=("external",)),
    "ExternalCapable.topic": implemented(EXISTING["topic"]),
    "TaskPriorized": attributes(),
    "TaskPriorized.taskPriority": implemented(EXISTING["taskPriority"]),
    "Properties": implemented(EXISTING["properties"]),
    "Properties.values": implemented(EXISTING["properties"]),
    "Property": implemented(EXISTING["properties"]),
    "Property.id": inert(INERT_TEST),
    "Property.name": implemented(EXISTING["properties"]),
    "Property.value": implemented(EXISTING["properties"]),
    "Connector": refused(msg("Camunda Connect connectors are not supported: name a connector with camunda:topic")),
    "Connector.inputOutput": refused(msg("Camunda Connect connectors are not supported")),
    "Connector.connectorId": refused(msg("Camunda Connect connectors are not supported")),
    "InputOutput": implemented(MAPPINGS + "test_input_output__script_task_locals_and_outputs", only_on=ACTIVITIES),
    "InputOutput.inputOutput": refused(msg("a nested camunda:inputOutput is not a Camunda 7 construct")),
    "InputOutput.connectorId": refused(msg("Camunda Connect connectors are not supported")),
    "InputOutput.inputParameters": implemented(MAPPINGS + "test_input_output__script_task_locals_and_outputs"),
    "InputOutput.outputParameters": implemented(MAPPINGS + "test_input_output__script_task_locals_and_outputs"),
    "InputOutputParameter": attributes(),
    "InputOutputParameter.name": implemented(MAPPINGS + "test_input_output__script_task_locals_and_outputs"),
    "InputOutputParameter.value": implemented(MAPPINGS + "test_input_output__text_and_expressions"),
    "InputOutputParameter.definition": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "InputOutputParameterDefinition": attributes(),
    "List": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "List.items": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Map": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Map.entries": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Entry": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Entry.key": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Entry.value": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Entry.definition": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Value": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Value.id": implemented("tests/engine/test_camunda_form_data.py::test_form_data__task_form_is_validated_and_readonly_dropped"),
    "Value.name": implemented("tests/engine/test_camunda_form_data.py::test_form_data__deployed_as_form_js_forms"),
    "Value.value": implemented(MAPPINGS + "test_input_output__list_map_nested"),
    "Script": implemented(MAPPINGS + "test_input_output__python_script_parameter"),
    "Script.scriptFormat": implemented(MAPPINGS + "test_input_output__python_script_parameter", allowed=("python", "python3", "text/x-python")),
    "Script.resource": refused(msg("external script resources are not supported: write the script in the diagram")),
    "Script.value": implemented(MAPPINGS + "test_input_output__python_script_parameter"),
    "Field": refused(msg("field injection configures Java delegates, which do not run in diwan")),
    "Field.name": refused(msg("field injection configures Java delegates, which do not run in diwan")),
    "Field.expression": refused(msg("field injection configures Java delegates, which do not run in diwan")),
    "Field.stringValue": refused(msg("field injection configures Java delegates, which do not run in diwan")),
    "Field.string": refused(msg("field injection configures Java delegates, which do not run in diwan")),
    "InputParameter": implemented(MAPPINGS + "test_input_output__script_task_locals_and_outputs"),
    "OutputParameter": implemented(MAPPINGS + "test_input_output__script_task_locals_and_outputs"),
    "Collectable": attributes(),
    "Collectable.collection": implemented(EXISTING["collection"]),
    "Collectable.elementVariable": implemented(EXISTING["collection"]),
    "FailedJobRetryTimeCycle": refused(msg("{reason}" ": failing timer firings and deliveries are retried as the " "DIWAN_* settings say", reason=NO_JOBS)),
    "FailedJobRetryTimeCycle.body": refused(NO_JOBS),
    "ExecutionListener": implemented(MAPPINGS + "test_execution_listeners__start_and_end", only_on=(*ACTIVITIES, "process")),
    "ExecutionListener.expression": refused(JAVA),
    "ExecutionListener.class": refused(JAVA),
    "ExecutionListener.delegateExpression": refused(JAVA),
    "ExecutionListener.event": implemented(MAPPINGS + "test_execution_listeners__start_and_end", allowed=("start", "end")),
    "ExecutionListener.script": implemented(MAPPINGS + "test_execution_listeners__start_and_end"),
    "ExecutionListener.fields": refused(msg("field injection configures Java delegates, which do not run in diwan")),
    "TaskListener": implemented(MAPPINGS + "test_task_listeners__create_and_complete", only_on=("userTask",)),
    "TaskListener.expression": refused(JAVA),
    "TaskListener.class": refused(JAVA),
    "TaskListener.delegateExpression": refused(JAVA),
    "TaskListener.event": implemented(MAPPINGS + "test_task_listeners__create_and_complete", allowed=("create", "complete")),
    "TaskListener.script": implemented(MAPPINGS + "test_task_listeners__create_and_complete"),
    "TaskListener.fields": refused(msg("field injection configures Java delegates, which do not run in diwan")),
    "TaskListener.id": refused(msg("task listener ids name timeout listeners, which are not supported: use a boundary timer")),
    "TaskListener.eventDefinitions": refused(msg("timeout task listeners are not supported: use a boundary timer")),
    "FormProperty": refused(msg("Camunda form properties are not supported: use camunda:formKey or camunda:formRef")),
    "FormProperty.id": refused(msg("Camunda form properties are not supported")),
    "FormProperty.name": refused(msg("Camunda form properties are not supported")),
    "FormProperty.type": refused(msg("Camunda form properties are not supported")),
    "FormProperty.required": refused(msg("Camunda form properties are not supported")),
    "FormProperty.readable": refused(msg("Camunda form properties are not supported")),
    "FormProperty.writable": refused(msg("Camunda form properties are not supported")),
    "FormProperty.variable": refused(msg("Camunda form properties are not supported")),
    "FormProperty.expression": refused(msg("Camunda form properties are not supported")),
    "FormProperty.datePattern": refused(msg("Camunda form properties are not supported")),
    "FormProperty.default": refused(msg("Camunda form properties are not supported")),
    "FormProperty.values": refused(msg("Camunda form properties are not supported")),
    "FormData": implemented("tests/engine/test_camunda_form_data.py::test_form_data__deployed_as_form_js_forms"),
    "FormData.fields": implemented("tests/engine/test_camunda_form_data.py::test_form_data__deployed_as_form_js_forms"),
    "FormData.businessKey": refused(msg("give the business key when starting the instance"), by=FORM_DATA),
    "FormField": implemented("tests/engine/test_camunda_form_data.py::test_form_data__deployed_as_form_js_forms"),
    "FormField.id": implemented("tests/engine/test_camunda_form_data.py::test_form_data__deployed_as_form_js_forms"),
    "FormField.label": implemented("tests/engine/test_camunda_form_data.py::test_form_data__deployed_as_form_js_forms"),
    "FormField.type": implemented("tests/engine/test_camunda_form_data.py::test_form_data__start_form_is_validated"),
    "FormField.datePattern": refused(msg("dates of generated forms are ISO (YYYY-MM-DD)"), by=FORM_DATA),
    "FormField.defaultValue": implemented("tests/engine/test_camunda_form_data.py::test_form_data__deployed_as_form_js_forms"),
    "FormField.properties": refused(msg("camunda:properties on a form field are not supported"), by=FORM_DATA),
    "FormField.validation": implemented("tests/engine/test_camunda_form_data.py::test_form_data__start_form_is_validated"),
    "FormField.values": implemented("tests/engine/test_camunda_form_data.py::test_form_data__task_form_is_validated_and_readonly_dropped"),
    "Validation": implemented("tests/engine/test_camunda_form_data.py::test_form_data__start_form_is_validated"),
    "Validation.constraints": implemented("tests/engine/test_camunda_form_data.py::test_form_data__start_form_is_validated"),
    "Constraint": implemented("tests/engine/test_camunda_form_data.py::test_form_data__start_form_is_validated"),
    "Constraint.name": implemented("tests/engine/test_camunda_form_data.py::test_form_data__start_form_is_validated"),
    "Constraint.config": implemented("tests/engine/test_camunda_form_data.py::test_form_data__start_form_is_validated"),
    "ConditionalEventDefinitionExtension": attributes(),
    "ConditionalEventDefinitionExtension.variableName": refused(msg("conditional events are not supported")),
    "ConditionalEventDefinitionExtension.variableEvents": refused(msg("conditional events are not supported")),
}


def counts() -> dict[str, int]:
    """How many entries have each status (README figures)."""
    out: dict[str, int] = {}
    for entry in CAMUNDA_INVENTORY.values():
        out[entry.status] = out.get(entry.status, 0) + 1
    return out
