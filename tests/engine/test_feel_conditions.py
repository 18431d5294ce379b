"""Camunda 8 FEEL conditions (`= amount > 100 and urgent`): the documented subset, translated to Python at deploy."""
from __future__ import annotations

import pytest

from engine import InvalidDefinition
from engine.definitions.literals import LiteralError, condition_to_python

HINT = "FEEL is not supported here beyond comparisons"


@pytest.mark.parametrize("feel, python", [
    ("= approved", "approved"),
    ("=amount > 100 and urgent", "amount > 100 and urgent"),
    ('= not(blocked) or kind = "renewal"', "(not blocked) or kind == 'renewal'"),
    ("= applicant.age >= 18", "applicant['age'] >= 18"),
    ("= total / 2 + 1 < limit * 3", "total / 2 + 1 < limit * 3"),
    ("= reason = null", "reason == None"),
    ("= a != false", "a != False"),
])
def test_feel_condition__translated(feel, python):
    assert condition_to_python(feel) == python


@pytest.mark.parametrize("feel", [
    "= count(items) > 2", "= if a then b else c", "= a in [1, 2]", "= x between 1 and 3",
    "= some x in xs satisfies x > 1", "= a.", "= 1..2", "= {a: 1}", "= x instance of number",
])
def test_feel_condition__beyond_the_subset_is_refused_saying_so(feel):
    with pytest.raises(LiteralError) as err:
        condition_to_python(feel)
    assert HINT in str(err.value)
    assert "Python" not in str(err.value)


def test_feel_condition__single_quotes_are_not_feel():
    with pytest.raises(LiteralError, match="FEEL strings use double quotes"):
        condition_to_python("= kind = 'a'")


HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">')


def gateway(condition: str) -> tuple[str, bytes]:
    body = ('<bpmn:process id="g" isExecutable="true"><bpmn:startEvent id="s"/>'
            '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="x"/>'
            '<bpmn:exclusiveGateway id="x" default="f2"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="big">'
            f'<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="small"/>'
            '<bpmn:userTask id="big"/><bpmn:userTask id="small"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="big" targetRef="e1"/><bpmn:endEvent id="e1"/>'
            '<bpmn:sequenceFlow id="f4" sourceRef="small" targetRef="e2"/><bpmn:endEvent id="e2"/>'
            '</bpmn:process>')
    return ("g.bpmn", f"{HEAD}{body}</bpmn:definitions>".encode())


def test_feel_condition__routes_a_gateway(engine):
    engine.deploy([gateway("= amount &gt; 100 and applicant.urgent")])
    assert engine.start("g", {"amount": 500, "applicant": {"urgent": True}}).active_elements == ["big"]
    assert engine.start("g", {"amount": 500, "applicant": {"urgent": False}}).active_elements == ["small"]
    assert engine.start("g", {"amount": 5, "applicant": {"urgent": True}}).active_elements == ["small"]


def test_feel_condition__refused_at_deploy_naming_the_flow(engine):
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([gateway("= count(items) &gt; 2")])
    [found] = err.value.errors
    assert found["element"] == "f1" and HINT in found["message"]


def test_zeebe_extensions__refused_naming_the_element(engine):
    name, content = gateway("= amount &gt; 100")
    content = content.replace(b'id="d"', b'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d"').replace(
        b'<bpmn:userTask id="big"/>',
        b'<bpmn:userTask id="big"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="= starter"/>'
        b'</bpmn:extensionElements></bpmn:userTask>')
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([(name, content)])
    assert [(e["element"], e["message"]) for e in err.value.errors] == [
        ("big", "Camunda 8 (Zeebe) extensions (zeebe:assignmentDefinition) are not supported: diwan reads "
                "Camunda 7 extensions (camunda:*) only")]


@pytest.mark.parametrize("text, kind, python", [
    ('= "PT1H"', "timeDuration", "'PT1H'"),
    ("= reminder.delay", "timeDuration", "reminder['delay']"),
    ('= "R3/PT1H"', "timeCycle", "'R3/PT1H'"),
])
def test_feel_timer__translated(text, kind, python):
    from engine.definitions.literals import timer_to_python

    assert timer_to_python(text, kind) == python


@pytest.mark.parametrize("text, message", [
    ('= duration("PT1H")', HINT),
    ('= "P1X"', "is not a valid ISO 8601 duration"),
])
def test_feel_timer__refused(text, message):
    from engine.definitions.literals import timer_to_python

    with pytest.raises(LiteralError) as err:
        timer_to_python(text, "timeDuration")
    assert message in str(err.value)
