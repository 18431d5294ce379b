"""Deploy errors for designers: each names an element bpmn-js can highlight (not a child the canvas
never draws), appears once, says what to do, and every problem of a deployment comes in one answer."""
from __future__ import annotations

import pytest

from engine import InvalidDefinition

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">')


def shapes(*ids: str, plane: str = "p") -> str:
    inner = "".join(f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"><dc:Bounds x="0" y="0" width="10" '
                    f'height="10"/></bpmndi:BPMNShape>' for i in ids)
    return f'<bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="{plane}">{inner}' \
           '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'


def document(body: str, di: str = "", pid: str = "p") -> bytes:
    return f'{HEAD}<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process>{di}</bpmn:definitions>'.encode()


def refused(engine, files) -> list[dict]:
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy(files)
    return err.value.errors


# a boundary timer whose definition (a child with its own id, never drawn) holds an invalid duration
TIMER_BODY = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
              '<bpmn:userTask id="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
              '<bpmn:endEvent id="e"/>'
              '<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition id="TimerDefinition_1">'
              '<bpmn:timeDuration>not a duration</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
              '<bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e2"/><bpmn:endEvent id="e2"/>')


def test_a_problem_on_an_undrawn_child_names_the_drawn_element(engine):
    errors = refused(engine, [("timer.bpmn", document(TIMER_BODY, shapes("s", "t", "e", "b", "e2")))])
    assert errors, errors
    assert {e["element"] for e in errors} == {"b"}, errors


def test_without_a_diagram_the_nearest_flow_element_is_named(engine):
    errors = refused(engine, [("timer.bpmn", document(TIMER_BODY))])
    assert {e["element"] for e in errors} == {"b"}, errors


def test_every_problem_of_the_deployment_comes_in_one_answer(engine):
    # a refused construct and a missing form in one file, a missing decision in another: all three at once
    one = document('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
                   '<bpmn:userTask id="t" camunda:formKey="absent_form"/>'
                   '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="cx"/>'
                   '<bpmn:complexGateway id="cx"/><bpmn:sequenceFlow id="f3" sourceRef="cx" targetRef="e"/>'
                   '<bpmn:endEvent id="e"/>')
    two = document('<bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="rule"/>'
                   '<bpmn:businessRuleTask id="rule" camunda:decisionRef="absent_decision"/>'
                   '<bpmn:sequenceFlow id="g2" sourceRef="rule" targetRef="e2"/><bpmn:endEvent id="e2"/>', pid="q")
    errors = refused(engine, [("one.bpmn", one), ("two.bpmn", two)])
    by_element = {(e["file"], e["element"]): e["message"] for e in errors}
    assert ("one.bpmn", "cx") in by_element, errors
    assert "absent_form" in by_element[("one.bpmn", "t")] and "deploy its .form file" in by_element[("one.bpmn", "t")]
    assert "absent_decision" in by_element[("two.bpmn", "rule")], errors
    assert "decisionRef" in by_element[("two.bpmn", "rule")]
    assert len(errors) == len({(e["file"], e["element"], e["message"]) for e in errors}), "each problem once"
    assert engine.list_definitions() == []


def test_a_missing_called_process_names_the_call_activity(engine):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>'
            '<bpmn:callActivity id="call" calledElement="nowhere"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="e"/><bpmn:endEvent id="e"/>')
    errors = refused(engine, [("call.bpmn", document(body, shapes("s", "call", "e")))])
    assert [(e["element"], "nowhere" in e["message"]) for e in errors] == [("call", True)], errors


def test_a_process_problem_in_a_collaboration_names_the_pool(engine):
    xml = (f'{HEAD}<bpmn:collaboration id="collab"><bpmn:participant id="pool" processRef="p"/></bpmn:collaboration>'
           f'<bpmn:process id="p" name="{"n" * 5000}" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>'
           f'{shapes("pool", "s", plane="collab")}</bpmn:definitions>').encode()
    errors = refused(engine, [("pool.bpmn", xml)])
    assert [e["element"] for e in errors] == ["pool"], errors
