"""Every piece of a deployed diagram that SpiffWorkflow evaluates or executes, and what diwan does with it.

`EXPRESSIONS` is the list, read off SpiffWorkflow 3.2's parsers (bpmn/parser, camunda/parser,
dmn/parser) and diwan's own (camunda_parser.py): for each XML element or attribute whose
text ends up in `eval`/`exec` (through the script engine), where SpiffWorkflow evaluates
it and how diwan handles it at deploy: checked with the sandbox's `check_code` (often after
translation from JUEL/FEEL/ISO in translate.py), or refused as a construct diwan does not
run. `NOT_EVALUATED` lists everything else those parsers read (names, references, flags,
layout). tests/engine/test_expressions_inventory.py walks the parsers' sources and fails on
any read that is in neither, so a new SpiffWorkflow that evaluates something new is noticed.

The checks that live here (the others are in translate.py, structure.py, decision_tables.py and
constructs.py): correlation retrieval expressions, and that timer values and scripts sit where
the rows say, since SpiffWorkflow finds them with `.//` (anywhere below the event or task).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from ..errors import problem
from ..messages import msg
from ..runtime.sandbox import UnsafeCode, check_code

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}


@dataclass(frozen=True)
class Expression:
    """One kind of designer text that SpiffWorkflow evaluates."""

    name: str  # a short key, used by the tests
    written_as: str  # where a designer writes it
    reads: tuple[str, ...]  # how SpiffWorkflow's parsers read it ("xpath:...", "attribute:...", ...)
    evaluated_by: str  # where SpiffWorkflow evaluates it
    mode: str  # "eval" (an expression) or "exec" (statements)
    deploy: str  # what diwan does with it at deploy


EXPRESSIONS: tuple[Expression, ...] = (
    Expression("condition", "bpmn:sequenceFlow/bpmn:conditionExpression",
               ("_xpath:.//bpmn:conditionExpression",),
               "exclusive and inclusive gateways (bpmn_task_spec._BpmnCondition)", "eval",
               "translated from JUEL and checked (translate.translate_bpmn); on flows out of an activity or "
               "event, carried by the gateway of the implicit split (transforms/implicit_splits.py); on flows "
               "out of a start event, refused (constructs.ignored_flow_conditions)"),
    Expression("loop_condition", "bpmn:standardLoopCharacteristics/bpmn:loopCondition",
               ("xpath:./bpmn:standardLoopCharacteristics/bpmn:loopCondition",),
               "StandardLoopTask", "eval", "translated and checked (translate.translate_bpmn)"),
    Expression("loop_cardinality", "bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality",
               ("xpath:./{}/bpmn:loopCardinality",),
               "multi-instance tasks (mixins/multiinstance_task.py)", "eval",
               "translated and checked (translate.translate_bpmn); constants checked (constructs.loop_values)"),
    Expression("completion_condition", "bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition",
               ("xpath:./{}/bpmn:completionCondition",),
               "multi-instance tasks (mixins/multiinstance_task.py)", "eval",
               "translated and checked (translate.translate_bpmn)"),
    Expression("ad_hoc_completion", "bpmn:adHocSubProcess/bpmn:completionCondition",
               ("xpath:./bpmn:completionCondition", "attribute:ordering", "attribute:cancelRemainingInstances"),
               "AdHocSubprocessSpec.path_complete", "eval",
               "refused: ad-hoc sub-processes (constructs.ad_hoc_subprocesses); the text is checked too"),
    Expression("timer", "bpmn:timerEventDefinition/bpmn:timeDate | timeDuration | timeCycle",
               ("xpath:.//bpmn:timeDate", "xpath:.//bpmn:timeDuration", "xpath:.//bpmn:timeCycle",
                "xpath:.//bpmn:{}", "xpath:.//bpmn:timerEventDefinition"),
               "EngineTimeDate, EngineDuration, EngineCycle (runtime/timer_events.py)", "eval",
               "translated from ISO 8601 (or checked as Quartz cron, runtime/cron.py) and checked (translate.translate_bpmn); one value per timer and one timer "
               "per event (structure.timers); a value anywhere but directly in a timerEventDefinition is refused "
               "(here: misplaced)"),
    Expression("script", "bpmn:scriptTask/bpmn:script", ("xpath:.//bpmn:script",),
               "ScriptTask (mixins/script_task.py)", "exec",
               "checked (translate.translate_bpmn); a bpmn:script anywhere but directly in a script task is "
               "refused (here: misplaced)"),
    Expression("conditional_event", "bpmn:conditionalEventDefinition/bpmn:condition",
               ("xpath:.//bpmn:condition", "xpath:.//bpmn:conditionalEventDefinition"),
               "ConditionalEventDefinition", "eval",
               "translated from JUEL and checked (translate.translate_bpmn); re-evaluated by the engine after "
               "each command's steps (WorkflowRun._refresh_conditions); the forms not supported are refused "
               "(constructs.conditional_events)"),
    Expression("correlation", "bpmn:correlationProperty/bpmn:correlationPropertyRetrievalExpression/"
               "bpmn:formalExpression (or bpmn:messagePath)",
               ("xpath:.//bpmn:correlationPropertyRetrievalExpression",
                "xpath:.//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression",
                "xpath:.//bpmn:correlationProperty"),
               "MessageEventDefinition.calculate_correlations, when a message is thrown or caught "
               "(the first child's text, whatever it is)", "eval",
               "checked (here: correlations); the retrieval expression's first child must be a formalExpression "
               "or messagePath (structure.correlations checks the references)"),
    Expression("message_payload", "bpmn:messageEventDefinition/@camunda:expression",
               ("attribute:camunda:expression", "attribute:camunda:resultVariable"),
               "Camunda's MessageEventDefinition (camunda/specs/event_definitions.py)", "eval",
               "refused (constructs.camunda_code): diwan parses message events as plain BPMN, which would drop "
               "the payload silently"),
    Expression("camunda_mapping", "camunda:inputOutput parameters (text, camunda:list, camunda:map, camunda:script) "
               "and call activity camunda:in/camunda:out sourceExpression",
               ("findall:{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements/{{}}inputOutput",
                "findall:{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements/{{}}{}",
                "get:sourceExpression"),
               "runtime/scopes.py (when the activity starts and completes)", "eval",
               "a whole ${...} translated from JUEL, a Python camunda:script rewritten to keep its final "
               "expression's value, both checked (translate._camunda_mappings, definitions/io_mappings.py)"),
    Expression("listener_script", "camunda:executionListener / camunda:taskListener camunda:script",
               ("find:{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements",),
               "WorkflowRun.run_listeners (activity start and end, user task create and complete)", "exec",
               "Python only, checked (translate._camunda_mappings, definitions/io_mappings.listeners)"),
    Expression("spiff_scripts", "bpmn:extensionElements/spiffworkflow:preScript | spiffworkflow:postScript",
               ("xpath:./bpmn:extensionElements/spiffworkflow:{}",),
               "ExtensionScripts (runtime/extension_scripts.py), when the activity becomes ready / completes", "exec",
               "checked, and refused outside the activities that run them (spiff_dialect.py)"),
    Expression("spiff_message_payload", "spiffworkflow:messagePayload on a bpmn:message, a message event "
               "(definition) or a send task",
               ("xpath:.//spiffworkflow:{}",),
               "PayloadMessageEventDefinition.throw (runtime/extension_scripts.py)", "eval",
               "checked, and refused on catching events (spiff_dialect.py)"),
    Expression("spiff_operator_parameters", "spiffworkflow:serviceTaskOperator/spiffworkflow:parameters/"
               "spiffworkflow:parameter/@value",
               ("xpath:./bpmn:extensionElements/spiffworkflow:serviceTaskOperator",),
               "ConnectorServiceTask._execute (runtime/service_task.py)", "eval",
               "checked (spiff_dialect.py); the values are read from the operator's parameter elements"),
    Expression("spiff_process_correlation", "spiffworkflow:processVariableCorrelation/spiffworkflow:expression "
               "on a catching message event",
               ("xpath:.//spiffworkflow:processVariableCorrelation",
                "xpath:./bpmn:extensionElements/spiffworkflow:processVariableCorrelation",
                "xpath:./spiffworkflow:expression"),
               "MessageEventDefinition.calculate_correlations, from WorkflowRun._catch_message", "eval",
               "checked, and its property must have a retrieval expression for the message (spiff_dialect.py)"),
    Expression("spiff_item_payload", "bpmn:signal | bpmn:error | bpmn:escalation / bpmn:extensionElements/"
               "spiffworkflow:payloadExpression",
               ("doc_xpath:.//bpmn:{}[@id='{}']",),
               "PayloadItems.throw (runtime/extension_scripts.py), when the signal, error or escalation is thrown",
               "eval", "checked, and refused anywhere else (spiff_dialect.py)"),
    Expression("dmn_input_expression", "dmn:input/dmn:inputExpression/dmn:text", ("find:dmn:text",),
               "DMNEngine.evaluate", "eval", "translated from FEEL and checked (translate.translate_dmn)"),
    Expression("dmn_cell", "dmn:rule/dmn:inputEntry/dmn:text and dmn:rule/dmn:outputEntry/dmn:text",
               ("endswith:text",),
               "DMNEngine.evaluate (input entries), Rule.output_as_dict (output entries)", "eval",
               "translated from FEEL and checked, integers beyond 64 bits refused (translate.translate_dmn); "
               "any other child whose tag ends in 'text' is refused (decision_tables)"),
)

# What else the parsers read: nothing here is evaluated.
NOT_EVALUATED: dict[str, str] = {
    # Camunda mappings and error variables (camunda_parser.py, io_mappings.py): names and flags
    "get:{{}}errorMessage": "an error's message (text)", "get:message": "a dict key",
    "get:{{}}errorCodeVariable": "a variable name", "get:{{}}errorMessageVariable": "a variable name",
    "get:{{}}escalationCodeVariable": "a variable name",
    "get:key": "a map key", "get:source": "a variable name", "get:target": "a variable name",
    "get:local": "a flag (refused unless false)", "get:businessKey": "checked to be the instance's",
    "get:variables": "\"all\"", "get:resource": "refused", "get:scriptFormat": "Python only",
    "endswith:}": "text of a whole ${...}", "get:event": "a listener's event (start, end, create, complete)",
    # SpiffArena's extensions as diwan's spiff_parser.py reads them (the names are decided in spiff_inventory.py)
    "doc_xpath:.//bpmn:message[@id='{}']": "the bpmn:message holding SpiffArena's message extensions",
    "endswith:}messageEventDefinition": "a tag test (whether the message extensions may sit on the event)",
    "get:resultVariable": "a variable name (SpiffArena's operator result)",
    "xpath:./spiffworkflow:propertyId": "a correlation property id",
    "get:{}Ref": "a signal, error or escalation reference",
    "get:{{}}scriptsOnInstances": "a flag (SpiffArena: where pre and post scripts of a loop run)",
    "doc_xpath://bpmn:collaboration//bpmn:correlationPropertyRef[text()='{}']": "correlation keys using a property",
    # processes, flow structure and lookups
    "xpath:.//bpmn:process": "processes", "xpath:.//*[@id]": "the id index",
    "get:id": "ids", "get:name": "names", "get:isExecutable": "a flag",
    "xpath:./bpmn:startEvent": "start events", "xpath:./bpmn:endEvent": "end events",
    "xpath:./bpmn:subProcess[@triggeredByEvent='true']": "event sub-processes",
    "attribute:triggeredByEvent": "a flag", "xpath:./bpmn:incoming": "flow references",
    "endswith:sequenceFlow": "sequence flows", "get:sourceRef": "a reference", "get:targetRef": "a reference",
    "get:default": "a reference", "endswith:boundaryEvent": "boundary events", "get:attachedToRef": "a reference",
    "get:{}.BoundaryEventSplit": "a task spec name", "get:cancelActivity": "a flag",
    "get:parallelMultiple": "a flag", "xpath:.//bpmn:callActivity": "call activities",
    "xpath:.//bpmn:callActivity/@calledElement": "process references", "get:calledElement": "a process reference",
    "xpath:.//bpmn:collaboration": "collaborations", "get:processRef": "a reference",
    "xpath://bpmn:lane": "lanes", "xpath:.//bpmn:flowNodeRef": "lane members",
    "doc_xpath:.//bpmn:flowNodeRef[text()='{}']": "lane members",
    "_xpath:.//bpmn:documentation": "documentation (shown, never run)",
    # diagram layout
    "xpath:.//bpmndi:BPMNShape[@bpmnElement]": "layout", "doc_xpath:.//bpmndi:BPMNShape[@bpmnElement='{}']//dc:Bounds":
    "layout", "xpath:.//dc:Bounds": "layout", "get:bpmnElement": "layout", "get:x": "layout (a float)",
    "get:y": "layout (a float)",
    # events and their references
    "xpath:.//bpmn:message": "messages", "xpath://bpmn:message": "messages",
    "xpath://bpmn:startEvent/bpmn:messageEventDefinition": "message start events",
    "xpath:.//bpmn:messageEventDefinition": "message definitions", "get:messageRef": "a reference",
    "xpath:.//bpmn:signal": "signals", "xpath:.//bpmn:signalEventDefinition": "signal definitions",
    "get:signalRef": "a reference", "xpath:.//bpmn:error": "errors", "xpath:.//bpmn:errorEventDefinition":
    "error definitions", "get:errorRef": "a reference", "get:errorCode": "a code", "get:error_code": "a dict key",
    "xpath:.//bpmn:escalation": "escalations", "xpath:.//bpmn:escalationEventDefinition": "escalation definitions",
    "get:escalationRef": "a reference", "get:escalationCode": "a code", "get:escalation_code": "a dict key",
    "xpath:.//bpmn:cancelEventDefinition": "cancel definitions",
    "xpath:.//bpmn:terminateEventDefinition": "terminate definitions",
    "xpath:.//bpmn:correlationKey": "correlation keys", "xpath:./bpmn:correlationPropertyRef": "references",
    "doc_xpath:.//bpmn:message[@id=\"%s\"]": "messages (Camunda event parser, not used by diwan)",
    # data
    "xpath:./bpmn:dataObject": "data objects", "endswith:dataObjectReference": "data object references",
    "endswith:dataStoreReference": "data store references", "get:dataObjectRef": "a reference",
    "get:dataStoreRef": "a reference", "xpath:.//bpmn:dataStore": "data stores (refused: structure)",
    "get:capacity": "a data store setting", "get:isUnlimited": "a data store setting",
    "xpath:./bpmn:dataInputAssociation/bpmn:sourceRef": "data references (structure.data_references)",
    "xpath:./bpmn:dataOutputAssociation/bpmn:targetRef": "data references (structure.data_references)",
    "doc_xpath:.//bpmn:dataObjectReference[@id='{}']": "data references",
    "doc_xpath:.//bpmn:dataStoreReference[@id='{}']": "data references",
    "xpath:./bpmn:ioSpecification": "io specifications", "xpath:./bpmn:ioSpecification/bpmn:dataInput": "names",
    "xpath:./bpmn:ioSpecification/bpmn:dataOutput": "names",
    "xpath:./bpmn:ioSpecification/bpmn:inputSet/bpmn:dataInputRefs": "names",
    "xpath:./bpmn:ioSpecification/bpmn:outputSet/bpmn:dataOutputRefs": "names",
    # loops and multi-instance
    "xpath:./bpmn:standardLoopCharacteristics": "loops", "get:loopMaximum": "an int() (constructs.loop_values)",
    "get:testBefore": "a flag", "xpath:./bpmn:multiInstanceLoopCharacteristics": "multi-instance",
    "get:isSequential": "a flag", "xpath:./{}/bpmn:loopDataInputRef": "a variable name",
    "xpath:./{}/bpmn:loopDataOutputRef": "a variable name", "xpath:./{}/bpmn:inputDataItem": "a variable name",
    "xpath:./{}/bpmn:outputDataItem": "a variable name",
    "attribute:camunda:collection": "a variable name (translated to loopDataInputRef)",
    "attribute:camunda:elementVariable": "a variable name (translated to inputDataItem)",
    # Camunda task attributes
    "attrib:{http://camunda.org/schema/1.0/bpmn}decisionRef": "a decision key (structure.tasks_with_targets)",
    "xpath:.//bpmn:businessRuleTask": "business rule tasks", "attribute:camunda:formKey": "a form key",
    "xpath:.//bpmn:extensionElements/camunda:properties/camunda:property":
    "connector properties (passed as strings)", "get:value": "a property value (a string)",
    "xpath:.//camunda:formData/camunda:formField": "Camunda form fields (SpiffWorkflow's copy is unused: diwan translates camunda:formData into a form-js form "
    "at deploy, forms/camunda_form_data.py, and validates submissions with it)",
    "get:type": "a form field type", "get:label": "a label", "get:defaultValue": "a default (a string)",
    "get:camunda": "a namespace", "get:config": "a validation setting (a string)",
    # DMN structure
    "xpath:.//dmn:decision": "decisions", "xpath:dmn:decision[1]": "decisions",
    "findall:dmn:decisionTable": "decision tables", "get:hitPolicy": "a setting (decision_tables)",
    "endswith:input": "inputs", "endswith:output": "outputs", "endswith:rule": "rules",
    "endswith:inputEntry": "the cells' containers (row dmn_cell)", "endswith:outputEntry":
    "the cells' containers (row dmn_cell)", "endswith:description": "descriptions", "get:typeRef": "a type name",
    "attrib:id": "ids", "get:dmn": "a namespace",
    # generic accessors
    "get:{}{}": "NodeParser.attribute(name, namespace): each call is listed as attribute:...",
    "get:{{}}{}": "the Camunda attributes of camunda_parser.CAMUNDA_ATTRIBUTES, copied into extensions (names, "
                  "groups, keys, dates; `${name}` there is a variable lookup, never an evaluation)",
    # ValidationException
    "get:tag": "error reporting", "get:line_number": "error reporting",
}


def _element_id(node: etree._Element) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def _refused(code: str, mode: str) -> str | None:
    try:
        check_code(code, mode)
    except UnsafeCode as exc:
        return exc.as_msg()
    return None


def correlations(root: etree._Element, fail: Callable[[etree._Element, str], None]) -> None:
    """Correlation retrieval expressions, read as BpmnParser._add_correlations reads them: the text of
    the first child of each retrieval expression under each correlation property."""
    for prop in root.iterfind(".//bpmn:correlationProperty", NS):
        for cpre in prop.iterfind(".//bpmn:correlationPropertyRetrievalExpression", NS):
            children = cpre.getchildren()
            if not children:
                fail(prop, msg("a correlationPropertyRetrievalExpression needs a formalExpression"))
                continue
            first = children[0]
            if not isinstance(first.tag, str) or first.tag not in (f"{{{BPMN}}}formalExpression",
                                                                   f"{{{BPMN}}}messagePath"):
                fail(prop, msg("the first child of a correlationPropertyRetrievalExpression must be its formalExpression (SpiffWorkflow evaluates the first child, whatever it is)"))
                continue
            text = (first.text or "").strip()
            if not text:
                fail(prop, msg("empty correlation retrieval expression"))
                continue
            error = _refused(text, "eval")
            if error:
                fail(prop, msg("correlation retrieval expression {text} refused: {error}", text=repr(text), error=error))


_PLACES = {"timeDate": "timerEventDefinition", "timeDuration": "timerEventDefinition",
           "timeCycle": "timerEventDefinition", "script": "scriptTask"}


def misplaced(root: etree._Element, fail: Callable[[etree._Element, str], None]) -> None:
    """Timer values and scripts where translate.py would not look but SpiffWorkflow might (it searches
    `.//bpmn:timeDate` below the whole event and `.//bpmn:script` below the whole task)."""
    for tag, parent in _PLACES.items():
        for node in root.iterfind(f".//bpmn:{tag}", NS):
            owner = node.getparent()
            if owner is None or owner.tag != f"{{{BPMN}}}{parent}":
                fail(node, msg("a bpmn:{tag} belongs directly inside a bpmn:{parent}, not inside {owner}", tag=tag, parent=parent, owner=etree.QName(owner).localname if owner is not None else "nothing"))


def check_expressions(root: etree._Element, filename: str) -> list[dict]:
    """The checks of this module over a BPMN tree (comments already removed)."""
    problems: list[dict] = []

    def fail(node, message):
        problems.append(problem(filename, _element_id(node), message))

    correlations(root, fail)
    misplaced(root, fail)
    return problems
