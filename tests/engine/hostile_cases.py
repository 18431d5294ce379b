"""Hostile and malformed deployments, each with the problem diwan must answer (file, element, reason).

Shared by tests/engine/test_hostile_definitions.py (Engine.deploy) and
tests/api/test_hostile_deployments.py (POST /api/v1/deployments). Before the deploy hardening
most of these were a 500 (KeyError, TypeError, IntegrityError, OverflowError, RecursionError,
MemoryError, a hang), deployed a broken or unchecked diagram, or answered with a misleading message.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="t">')
ANY = object()  # the problem must name some element (which one depends on SpiffWorkflow's recursion)


def bpmn_text(body: str, extra: str = "", pid: str = "p", head: str = HEAD) -> str:
    return f'{head}{extra}<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'


def bpmn(body: str, extra: str = "", pid: str = "p") -> bytes:
    return bpmn_text(body, extra, pid).encode()


def around(middle: str) -> str:
    """start -> `middle` (an element with id t) -> end."""
    return ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>' + middle +
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def gateway(condition: str) -> str:
    return ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
            '<bpmn:exclusiveGateway id="g" default="f3"/>'
            f'<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"><bpmn:conditionExpression>{condition}'
            '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e2"/>'
            '<bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/>')


def timer_start(kind: str, value: str) -> bytes:
    return bpmn(f'<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}>'
                '</bpmn:timerEventDefinition></bpmn:startEvent><bpmn:sequenceFlow id="f1" sourceRef="s" '
                'targetRef="e"/><bpmn:endEvent id="e"/>')


def catch_timer(inner: str) -> bytes:
    return bpmn(around(f'<bpmn:intermediateCatchEvent id="t">{inner}</bpmn:intermediateCatchEvent>'))


def nested_subprocesses(n: int) -> bytes:
    opened, closed = [], []
    for i in range(n):
        nxt = f"sp{i + 1}" if i < n - 1 else f"se{i}"
        opened.append(f'<bpmn:subProcess id="sp{i}"><bpmn:startEvent id="ss{i}"/>'
                      f'<bpmn:sequenceFlow id="sf{i}" sourceRef="ss{i}" targetRef="{nxt}"/>')
        back = f'<bpmn:sequenceFlow id="sg{i}" sourceRef="sp{i + 1}" targetRef="se{i}"/>' if i < n - 1 else ""
        closed.append(f'{back}<bpmn:endEvent id="se{i}"/></bpmn:subProcess>')
    return bpmn('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sp0"/>'
                + "".join(opened) + "".join(reversed(closed))
                + '<bpmn:sequenceFlow id="f2" sourceRef="sp0" targetRef="e"/><bpmn:endEvent id="e"/>')


def chain(n: int) -> bytes:
    tasks = "".join(f'<bpmn:sequenceFlow id="c{i}" sourceRef="{"s" if i == 0 else f"t{i - 1}"}" targetRef="t{i}"/>'
                    f'<bpmn:task id="t{i}"/>' for i in range(n))
    return bpmn(f'<bpmn:startEvent id="s"/>{tasks}<bpmn:sequenceFlow id="ce" sourceRef="t{n - 1}" targetRef="e"/>'
                '<bpmn:endEvent id="e"/>')


def message_extra(expression: str, first: str = "") -> str:
    return ('<bpmn:message id="m" name="m"/><bpmn:correlationProperty id="cp">'
            f'<bpmn:correlationPropertyRetrievalExpression messageRef="m">{first}<bpmn:formalExpression>'
            f'{expression}</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression>'
            '</bpmn:correlationProperty>')


DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(rules: str = None, table_attrs: str = "", decision: str = None) -> bytes:
    rules = rule("&lt; 10", "5") if rules is None else rules
    decision = decision if decision is not None else (
        f'<decision id="dec" name="Taux"><decisionTable id="tab"{table_attrs}>'
        '<input id="i1" label="Montant"><inputExpression id="ie1" typeRef="number"><text>amount</text>'
        f'</inputExpression></input><output id="o1" name="rate" typeRef="number"/>{rules}</decisionTable></decision>')
    return (f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="{DMN_NS}" id="defs" name="d" '
            f'namespace="x">{decision}</definitions>').encode()


def rule(input_cell: str, output_cell: str, rid: str = "r1", extra: str = "") -> str:
    return (f'<rule id="{rid}"><inputEntry id="{rid}i"><text>{input_cell}</text></inputEntry>'
            f'<outputEntry id="{rid}o"><text>{output_cell}</text>{extra}</outputEntry></rule>')


def form(body: str) -> bytes:
    return body.encode()


@dataclass(frozen=True)
class Case:
    name: str
    files: tuple[tuple[str, bytes], ...]
    file: str  # the file the problem names
    element: object  # the element it names (None: the file as a whole; ANY: some element)
    says: str  # a fragment of its message

    def __repr__(self) -> str:  # pytest ids
        return self.name


def case(name, files, file, element, says) -> Case:
    files = ((file, files),) if isinstance(files, bytes) else tuple(files)
    return Case(name, files, file, element, says)


EVIL = "__import__(&quot;os&quot;).system(&quot;id&quot;)"
CASES: tuple[Case, ...] = (
    # --- references SpiffWorkflow crashes on, or misreports
    case("business_rule_task_without_decision_ref", bpmn(around('<bpmn:businessRuleTask id="t"/>')), "a.bpmn", "t",
         "a business rule task needs camunda:decisionRef naming a deployed decision"),
    case("business_rule_task_with_empty_decision_ref",
         bpmn(around('<bpmn:businessRuleTask id="t" camunda:decisionRef=" "/>')), "a.bpmn", "t",
         "needs camunda:decisionRef"),
    case("call_activity_without_called_element", bpmn(around('<bpmn:callActivity id="t"/>')), "a.bpmn", "t",
         "a call activity needs calledElement"),
    case("message_ref_to_nothing", bpmn(around('<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition '
                                               'messageRef="nope"/></bpmn:intermediateCatchEvent>')),
         "a.bpmn", "t", "messageRef 'nope' names no bpmn:message"),
    case("signal_ref_to_nothing", bpmn(around('<bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition '
                                              'signalRef="nope"/></bpmn:intermediateThrowEvent>')),
         "a.bpmn", "t", "signalRef 'nope' names no bpmn:signal"),
    case("error_ref_to_nothing", bpmn(around('<bpmn:userTask id="t"/>') + '<bpmn:boundaryEvent id="b" '
                                      'attachedToRef="t"><bpmn:errorEventDefinition errorRef="nope"/>'
                                      '</bpmn:boundaryEvent>'), "a.bpmn", "b", "errorRef 'nope' names no bpmn:error"),
    case("message_event_without_a_name",  # deployed, then a NOT NULL violation (500) when an instance waits
         bpmn(around('<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>')),
         "a.bpmn", "t", "a message event needs a messageRef naming a bpmn:message"),
    case("message_without_a_name", bpmn(around('<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition '
                                               'messageRef="m"/></bpmn:intermediateCatchEvent>'), '<bpmn:message id="m"/>'),
         "a.bpmn", "t", "the bpmn:message 'm' has no name"),
    case("boundary_event_without_definition", bpmn(around('<bpmn:userTask id="t"/>') +
                                                   '<bpmn:boundaryEvent id="b" attachedToRef="t"/>'),
         "a.bpmn", "b", "a boundary event needs an event definition"),
    case("boundary_event_attached_to_nothing", bpmn(around('<bpmn:userTask id="t"/>') + '<bpmn:boundaryEvent id="b" '
                                                    'attachedToRef="zz"><bpmn:timerEventDefinition><bpmn:timeDuration>'
                                                    'PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>'
                                                    '</bpmn:boundaryEvent>'),
         "a.bpmn", "b", "attachedToRef 'zz' of the boundary event names no activity"),
    # --- ids and flows
    case("start_event_without_id", bpmn('<bpmn:startEvent/><bpmn:endEvent id="e"/>'), "a.bpmn", None,
         "a bpmn:startEvent has no id"),
    case("process_without_id", (HEAD + '<bpmn:process isExecutable="true"><bpmn:startEvent id="s"/>'
                                '</bpmn:process></bpmn:definitions>').encode(), "a.bpmn", None,
         "a bpmn:process has no id"),
    case("duplicate_ids", bpmn(around('<bpmn:userTask id="t"/>') + '<bpmn:userTask id="t"/>'), "a.bpmn", "t",
         "the id 't' is used twice"),
    case("id_that_breaks_xpath", bpmn(around('<bpmn:userTask id="t"/>') + '<bpmn:task id="x&apos;]|//*[&apos;"/>'),
         "a.bpmn", None, "is not a valid XML id"),
    case("flow_to_nowhere", bpmn('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="zz"/>'),
         "a.bpmn", "f1", "targetRef 'zz' of the sequence flow names no task, event or gateway"),
    case("flow_from_nowhere", bpmn(around('<bpmn:task id="t"/>') + '<bpmn:sequenceFlow id="f9" sourceRef="zz" '
                                   'targetRef="e"/>'), "a.bpmn", "f9", "sourceRef 'zz'"),
    case("flow_without_target", bpmn('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s"/>'),
         "a.bpmn", "f1", "the sequence flow has no targetRef"),
    case("flow_into_another_scope", bpmn('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" '
                                         'targetRef="inner"/><bpmn:subProcess id="sp"><bpmn:startEvent id="ss"/>'
                                         '<bpmn:task id="inner"/><bpmn:endEvent id="se"/></bpmn:subProcess>'),
         "a.bpmn", "f1", "in another process or sub-process"),
    case("flow_to_an_unknown_element", bpmn(around('<bpmn:fooTask id="t"/>')), "a.bpmn", "f1",
         "a bpmn:fooTask, which is not a task, event or gateway"),
    case("default_flow_that_is_not_outgoing", bpmn(gateway("x &gt; 1").replace('default="f3"', 'default="f1"')),
         "a.bpmn", "g", "default 'f1' is not one of the element's outgoing sequence flows"),
    # --- timers and scripts
    case("timer_without_value", catch_timer("<bpmn:timerEventDefinition/>"), "a.bpmn", "t",
         "a timer needs a timeDate, timeDuration or timeCycle"),
    case("timer_with_two_values", catch_timer("<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
                                              "<bpmn:timeDate>2026-12-01T09:00:00+01:00</bpmn:timeDate>"
                                              "</bpmn:timerEventDefinition>"), "a.bpmn", "t", "not 2"),
    case("timer_value_hidden_outside_its_definition",
         catch_timer("<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
                     f"<bpmn:extensionElements><bpmn:timeDate>{EVIL}</bpmn:timeDate></bpmn:extensionElements>"),
         "a.bpmn", "t", "a bpmn:timeDate belongs directly inside a bpmn:timerEventDefinition"),
    case("timer_duration_beyond_year_9999", timer_start("timeDuration", "P99999999999999D"), "a.bpmn", "s",
         "too long a duration"),
    case("timer_date_beyond_year_9999", timer_start("timeDate", "9999-12-31T23:59:59-12:00"), "a.bpmn", "s",
         "out of range"),
    case("timer_cycle_of_zero_period", timer_start("timeCycle", "R/PT0S"), "a.bpmn", "s",
         "the period of a cycle must be longer than zero"),
    case("due_date_beyond_year_9999", bpmn(around('<bpmn:userTask id="t" camunda:dueDate="P99999999999999D"/>')),
         "a.bpmn", "t", "too long a duration"),
    case("empty_script", bpmn(around('<bpmn:scriptTask id="t"><bpmn:script/></bpmn:scriptTask>')), "a.bpmn", "t",
         "a script task needs a script"),
    case("script_hidden_after_a_comment",
         bpmn(around('<bpmn:scriptTask id="t"><bpmn:script>x = 1<!-- c -->\nimport os</bpmn:script></bpmn:scriptTask>')),
         "a.bpmn", "t", "imports are not allowed"),
    case("condition_nested_too_deeply", bpmn(gateway("${" + "(" * 5000 + "a" + ")" * 5000 + "}")), "a.bpmn", "f2",
         "nested too deeply"),
    case("python_condition_nested_too_deeply", bpmn(gateway("-" * 50_000 + "a")), "a.bpmn", "f2", "nested too deeply"),
    # --- expressions SpiffWorkflow evaluates outside the usual places
    case("correlation_expression_that_imports", bpmn(around('<bpmn:userTask id="t"/>'), message_extra(EVIL)),
         "a.bpmn", "cp", "name '__import__' is not allowed"),
    case("correlation_expression_behind_another_child",
         bpmn(around('<bpmn:userTask id="t"/>'), message_extra("key", "<bpmn:documentation>x</bpmn:documentation>")),
         "a.bpmn", "cp", "the first child of a correlationPropertyRetrievalExpression must be its formalExpression"),
    case("camunda_execution_listener_script",
         bpmn(around('<bpmn:task id="t"><bpmn:extensionElements><camunda:executionListener event="start">'
                     '<camunda:script scriptFormat="groovy">java.lang.Runtime.getRuntime()</camunda:script>'
                     '</camunda:executionListener></bpmn:extensionElements></bpmn:task>')),
         "a.bpmn", "t", "execution listeners (camunda:executionListener) are not supported"),
    case("camunda_message_payload_expression",
         bpmn(around('<bpmn:intermediateThrowEvent id="t"><bpmn:messageEventDefinition messageRef="m" '
                     'camunda:expression="${x}"/></bpmn:intermediateThrowEvent>'), '<bpmn:message id="m" name="m"/>'),
         "a.bpmn", "t", "camunda:expression is not supported"),
    case("data_assignment_on_an_event",
         bpmn(around('<bpmn:intermediateThrowEvent id="t"><bpmn:dataInputAssociation id="a1"><bpmn:assignment>'
                     f'<bpmn:from>{EVIL}</bpmn:from><bpmn:to>x</bpmn:to></bpmn:assignment></bpmn:dataInputAssociation>'
                     '</bpmn:intermediateThrowEvent>')),
         "a.bpmn", "t", "data association transformations and assignments are not supported"),
    # --- data
    case("data_object_out_of_reach_hangs_spiffworkflow",
         bpmn(around('<bpmn:subProcess id="t"><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="h1" sourceRef="s2" '
                     'targetRef="sp2"/><bpmn:subProcess id="sp2"><bpmn:startEvent id="s3"/><bpmn:sequenceFlow id="g1" '
                     'sourceRef="s3" targetRef="tt"/><bpmn:task id="tt"><bpmn:dataInputAssociation id="a1">'
                     '<bpmn:sourceRef>ref1</bpmn:sourceRef></bpmn:dataInputAssociation></bpmn:task><bpmn:sequenceFlow '
                     'id="g2" sourceRef="tt" targetRef="e3"/><bpmn:endEvent id="e3"/><bpmn:dataObjectReference '
                     'id="ref1" dataObjectRef="obj"/></bpmn:subProcess><bpmn:sequenceFlow id="h2" sourceRef="sp2" '
                     'targetRef="e2"/><bpmn:endEvent id="e2"/></bpmn:subProcess>') + '<bpmn:dataObject id="obj"/>'),
         "a.bpmn", "tt", "is not declared in this process or sub-process or the one directly around it"),
    case("data_store", bpmn(around('<bpmn:task id="t"/>'), '<bpmn:dataStore id="ds" name="archive"/>'), "a.bpmn", "ds",
         "data stores are not supported"),
    # --- sizes
    case("huge_name", bpmn(around(f'<bpmn:userTask id="t" name="{"x" * 100_000}"/>')), "a.bpmn", "t",
         "is too long (100000 characters, at most 500)"),
    case("huge_process_id", bpmn(around('<bpmn:task id="t"/>'), pid="p" * 300), "a.bpmn", None,
         "is too long (300 characters, at most 255)"),
    case("huge_candidate_group", bpmn(around(f'<bpmn:userTask id="t" camunda:candidateGroups="a,{"g" * 300}"/>')),
         "a.bpmn", "t", "camunda:candidateGroups"),
    case("nested_10000_subprocesses", nested_subprocesses(10_000), "a.bpmn", None,
         "the XML is nested too deeply (at most 256 levels)"),
    case("sequence_too_long_for_spiffworkflow", chain(700), "a.bpmn", ANY,
         "too long or too deeply nested for SpiffWorkflow's parser"),
    case("diagram_bounds_not_a_number",
         bpmn(around('<bpmn:task id="t"/>'), pid="p").replace(
             b"</bpmn:definitions>", b'<bpmndi:BPMNDiagram id="dg"><bpmndi:BPMNPlane id="pl" bpmnElement="p">'
             b'<bpmndi:BPMNShape id="sh" bpmnElement="t"><dc:Bounds x="left" y="0" width="1" height="1"/>'
             b'</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>'),
         "a.bpmn", "t", "x='left', not a number"),
    # --- bytes and encodings
    case("non_utf8_bytes", bpmn(around('<bpmn:task id="t" name="é"/>')).replace("é".encode(), b"\xe9"), "a.bpmn", None,
         "the file is not valid UTF-8: byte 0xe9"),
    case("unknown_encoding", b'<?xml version="1.0" encoding="x-klingon"?><x/>', "a.bpmn", None,
         "encoding 'x-klingon' is not supported"),
    case("byte_order_mark_contradicts_declaration",
         codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="ISO-8859-1"?><x/>'.encode("utf-16-le"),
         "a.bpmn", None, "but the file's byte order mark is UTF-16LE"),
    case("doctype_in_utf16", codecs.BOM_UTF16_LE + ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e '
                                                    'SYSTEM "file:///etc/passwd">]><x>&e;</x>').encode("utf-16-le"),
         "a.bpmn", None, "DOCTYPE"),
    # --- forms
    case("form_valid_json_wrong_shape", form('{"id": 5, "components": {"a": 1}}'), "x.form", None,
         "Form has no 'id'"),
    case("form_component_type_not_a_string", form('{"id": "x", "components": [{"type": ["textfield"], "key": "a"}]}'),
         "x.form", "x", "'type' must be a string"),
    case("form_pattern_not_a_string",
         form('{"id": "x", "components": [{"type": "textfield", "key": "a", "validate": {"pattern": 5}}]}'),
         "x.form", "x", "validate.pattern must be a string"),
    case("form_pattern_with_backreference",
         form(r'{"id": "x", "components": [{"type": "textfield", "key": "a", "validate": {"pattern": "(a)\\1"}}]}'),
         "x.form", "x", "backreferences"),
    case("form_in_utf16", codecs.BOM_UTF16_LE + '{"id": "x", "components": []}'.encode("utf-16-le"), "x.form", None,
         "a .form file must be JSON in UTF-8"),
    case("form_id_too_long", form('{"id": "' + "x" * 300 + '", "components": []}'), "x.form", None,
         "Form 'id' is too long"),
    # --- decisions
    case("dmn_without_decision_table", dmn(decision='<decision id="dec" name="d"/>'), "a.dmn", "dec",
         "the decision has no decision table"),
    case("dmn_output_integer_beyond_64_bits", dmn(rule("&lt; 10", "99999999999999999999")), "a.dmn", "r1o",
         "outputs are stored as 64-bit integers: use a decimal or text"),
    case("dmn_input_entry_integer_beyond_64_bits", dmn(rule("&lt; 99999999999999999999", "1")), "a.dmn", "r1i",
         "beyond the signed 64-bit range"),
    case("dmn_number_of_5000_digits", dmn(rule("&lt; 10", "9" * 5000)), "a.dmn", "r1o", "too many digits"),
    case("dmn_prefixed_namespace", dmn().replace(b"<definitions xmlns=", b"<d:definitions xmlns:d=")
         .replace(b"</definitions>", b"</d:definitions>"), "a.dmn", None, "must be in the default namespace"),
    case("dmn_two_decisions", dmn(decision='<decision id="a"><decisionTable id="t1"/></decision>'
                                           '<decision id="b"><decisionTable id="t2"/></decision>'),
         "a.dmn", None, "a DMN file holds one decision"),
    case("dmn_rule_without_id", dmn(rule("&lt; 10", "5").replace('<rule id="r1">', "<rule>")), "a.dmn", "tab",
         "a rule of the decision table has no id"),
    case("dmn_cell_smuggled_in_a_context_element",
         dmn(rule("&lt; 10", "5", extra=f'<x:context xmlns:x="urn:x">{EVIL}</x:context>')), "a.dmn", "r1o",
         "<context> inside an outputEntry is not allowed"),
    case("dmn_more_cells_than_columns",
         dmn(rule("&lt; 10", "5").replace("</rule>", '<inputEntry id="zz"><text>1</text></inputEntry></rule>')),
         "a.dmn", "r1", "the rule has 2 inputEntry cell(s) for 1 column(s)"),
    case("dmn_input_column_after_the_rules",  # SpiffWorkflow reads each rule against the columns read before it
         dmn(decision='<decision id="dec"><decisionTable id="tab"><input id="i1"><inputExpression id="ie1"><text>a'
                      '</text></inputExpression></input><output id="o1" name="rate"/><rule id="r1"><inputEntry '
                      'id="r1a"><text>1</text></inputEntry><inputEntry id="r1b"><text>2</text></inputEntry>'
                      '<outputEntry id="r1o"><text>3</text></outputEntry></rule><input id="i2"><inputExpression '
                      'id="ie2"><text>b</text></inputExpression></input></decisionTable></decision>'),
         "a.dmn", "tab", "a decision table lists its inputs first, then its outputs, then its rules"),
    case("dmn_unsupported_hit_policy", dmn(table_attrs=' hitPolicy="PRIORITY"'), "a.dmn", "tab",
         "hit policy PRIORITY is not supported"),
)
