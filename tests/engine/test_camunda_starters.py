"""Camunda start conventions: camunda:initiator, candidateStarterGroups/Users and the admin's starters."""
from __future__ import annotations

import pytest

from engine import Actor, Forbidden, InvalidDefinition

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">')

AMINA = Actor("amina", groups=("sales",), roles=("clerk",))
KARIM = Actor("karim", groups=("finance",), roles=("clerk",))
NADIA = Actor("nadia", groups=("legal",), roles=("clerk",))
ADMIN = Actor("root", roles=("admin",))


def diagram(process_attrs: str = "", start_attrs: str = "", pid: str = "p") -> tuple[str, bytes]:
    body = (f'<bpmn:process id="{pid}" isExecutable="true" {process_attrs}>'
            f'<bpmn:startEvent id="s" {start_attrs}/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:userTask id="t" camunda:assignee="${starter}"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>')
    return (f"{pid}.bpmn", f"{HEAD}{body}</bpmn:definitions>".encode())


def _task(engine, instance_id):
    [task] = engine.list_tasks(see_all=True, instance_id=instance_id).items
    return task


def test_initiator__the_starter_is_stored_and_assigned(engine):
    engine.deploy([diagram(start_attrs='camunda:initiator="starter"')])
    inst = engine.start("p", {"amount": 3}, actor=AMINA)
    assert inst.data == {"amount": 3, "starter": "amina"}
    assert _task(engine, inst.id).assignee == "amina"
    started = engine.history(inst.id)[0]
    assert started.type == "instance_started" and started.payload["data"]["starter"] == "amina"


def test_initiator__a_starter_cannot_choose_the_value(engine):
    engine.deploy([diagram(start_attrs='camunda:initiator="starter"')])
    inst = engine.start("p", {"starter": "karim"}, actor=AMINA)
    assert inst.data["starter"] == "amina"


def test_initiator__without_it_nothing_is_set(engine):
    engine.deploy([diagram()])
    inst = engine.start("p", {}, actor=AMINA)
    assert "starter" not in inst.data


@pytest.mark.parametrize("attrs, message", [
    ('camunda:initiator="not a name"', "must be a variable name"),
    ('camunda:initiator="class"', "must be a variable name"),
])
def test_initiator__bad_name_is_refused(engine, attrs, message):
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([diagram(start_attrs=attrs)])
    assert [(e["element"], message in e["message"]) for e in err.value.errors] == [("s", True)]


def test_initiator__on_a_task_is_refused(engine):
    name, content = diagram()
    content = content.replace(b'<bpmn:userTask id="t"', b'<bpmn:userTask id="t" camunda:initiator="x"')
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([(name, content)])
    assert err.value.errors[0]["element"] == "t"
    assert "belongs on a start event" in err.value.errors[0]["message"]


def test_candidate_starters__groups_and_users_of_the_diagram(engine):
    engine.deploy([diagram('camunda:candidateStarterGroups="sales, marketing" '
                           'camunda:candidateStarterUsers="nadia"')])
    assert engine.start("p", {}, actor=AMINA).status == "running"  # by group
    assert engine.start("p", {}, actor=NADIA).status == "running"  # by name
    assert engine.start("p", {}, actor=ADMIN).status == "running"  # admins always
    with pytest.raises(Forbidden) as err:
        engine.start("p", {}, actor=KARIM)
    assert "clerks of sales, marketing or nadia may start 'p'" in str(err.value)
    definition = engine.get_definition("p")
    assert definition.candidate_starter_groups == ("sales", "marketing")
    assert definition.candidate_starter_users == ("nadia",)
    assert [definition.may_start(a) for a in (AMINA, KARIM, NADIA, ADMIN)] == [True, False, True, True]


def test_candidate_starters__admin_starter_groups_replace_the_diagram(engine):
    engine.deploy([diagram('camunda:candidateStarterGroups="sales"')])
    engine.set_starters("p", ["finance"], actor=ADMIN)
    assert engine.start("p", {}, actor=KARIM).status == "running"
    with pytest.raises(Forbidden) as err:
        engine.start("p", {}, actor=AMINA)
    assert "set by an admin" in str(err.value)
    engine.set_starters("p", [], actor=ADMIN)  # cleared: the diagram decides again
    assert engine.start("p", {}, actor=AMINA).status == "running"
    with pytest.raises(Forbidden):
        engine.start("p", {}, actor=KARIM)


def test_candidate_starters__without_any_every_clerk_may(engine):
    engine.deploy([diagram()])
    assert engine.get_definition("p").may_start(KARIM)
    assert engine.start("p", {}, actor=KARIM).status == "running"


def test_candidate_starters__expressions_are_refused(engine):
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([diagram('camunda:candidateStarterGroups="${groups}"')])
    assert err.value.errors[0]["element"] == "p"
    assert "expressions are not supported" in err.value.errors[0]["message"]


def test_initiator__on_a_message_start_is_the_sender(engine):
    body = ('<bpmn:message id="m" name="demande"/><bpmn:process id="pm" isExecutable="true">'
            '<bpmn:startEvent id="ms" camunda:initiator="starter"><bpmn:messageEventDefinition messageRef="m"/>'
            '</bpmn:startEvent><bpmn:sequenceFlow id="f1" sourceRef="ms" targetRef="t"/>'
            '<bpmn:userTask id="t" camunda:assignee="${starter}"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>')
    engine.deploy([("pm.bpmn", f"{HEAD}{body}</bpmn:definitions>".encode())])
    [instance_id] = engine.correlate("demande", "K-1", {"x": 1}, actor=KARIM)
    assert engine.get_instance(instance_id).data == {"x": 1, "starter": "karim"}
    assert _task(engine, instance_id).assignee == "karim"
