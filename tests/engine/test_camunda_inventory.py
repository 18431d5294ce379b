"""The Camunda inventory: every type and property of camunda-bpmn-moddle's descriptor is classified,
refused ones are refused at deploy naming the element, and the attributes diwan already ran before
the inventory (forms, assignment, connectors, decisions, multi-instance) keep their effect."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from engine import Actor, InvalidDefinition
from engine.definitions.camunda_check import EXTENDS, PROPERTY_ELEMENTS, SUPER, camunda_problems
from engine.definitions.camunda_inventory import (ATTRIBUTES, CAMUNDA_INVENTORY, IMPLEMENTED, INERT, NOT_YET,
                                                  REFUSED, counts)
from tests.conftest import fixture_files
from tests.engine.hostile_cases import around, bpmn

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTOR = ROOT / "node_modules" / "camunda-bpmn-moddle" / "resources" / "camunda.json"
ANY = Actor("admin", roles=("admin",))


def descriptor() -> dict:
    if not DESCRIPTOR.exists():
        pytest.fail(f"{DESCRIPTOR} is missing: run ./scripts/setup-venv (npm install)")
    return json.loads(DESCRIPTOR.read_text())


def descriptor_keys() -> list[str]:
    keys = []
    for t in descriptor()["types"]:
        keys.append(t["name"])
        keys += [f"{t['name']}.{p['name'].removeprefix('camunda:')}" for p in t.get("properties", [])]
    return keys


def test_inventory__every_descriptor_type_and_property_is_classified():
    keys = descriptor_keys()
    missing = [k for k in keys if k not in CAMUNDA_INVENTORY]
    assert not missing, f"unclassified in engine/definitions/camunda_inventory.py: {missing}"
    extra = [k for k in CAMUNDA_INVENTORY if k not in keys]
    assert not extra, f"not in camunda.json: {extra}"


def test_inventory__each_entry_is_well_formed():
    types = {t["name"]: t for t in descriptor()["types"]}
    for key, entry in CAMUNDA_INVENTORY.items():
        assert entry.status in (IMPLEMENTED, INERT, REFUSED, NOT_YET, ATTRIBUTES), key
        if entry.status in (REFUSED, NOT_YET):
            assert entry.note and not entry.note.startswith("tests/"), key
        if entry.status == ATTRIBUTES:
            t = types[key]
            assert "." not in key and (t.get("extends") or not t.get("meta", {}).get("allowedIn")), key


def test_inventory__each_implemented_or_inert_entry_names_a_test_that_exists():
    for key, entry in CAMUNDA_INVENTORY.items():
        if entry.status not in (IMPLEMENTED, INERT):
            continue
        path, _, name = entry.note.partition("::")
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {re.escape(name)}\(", source, re.M), f"{key}: {entry.note} does not exist"


def test_inventory__the_check_copies_the_descriptor_shape():
    types = descriptor()["types"]
    extends = {t["name"]: tuple(t["extends"]) for t in types if t.get("extends")}
    assert EXTENDS == extends
    supers = {t["name"]: tuple(s.removeprefix("camunda:") for s in t.get("superClass", [])
                               if not s.startswith(("bpmn:", "Element"))) for t in types}
    assert {k: v for k, v in supers.items() if v} == SUPER
    elements = {(t["name"], p["name"]) for t in types for p in t.get("properties", [])
                if p.get("type") == "String" and not (p.get("isAttr") or p.get("isBody") or p.get("isMany"))}
    assert elements == PROPERTY_ELEMENTS


def test_inventory__figures():
    figures = counts()
    assert sum(figures.values()) == len(descriptor_keys()) == 182
    assert figures[IMPLEMENTED] >= 50


# --------------------------------------------------------------------------------------- refusals

def problems(body: str, extra: str = "") -> list[tuple[str | None, str]]:
    from lxml import etree
    return list(camunda_problems(etree.fromstring(bpmn(body, extra))))


@pytest.mark.parametrize("body, element, says", [
    ('<bpmn:serviceTask id="t" camunda:class="org.acme.Pay"/>', "t", "camunda:class is not supported: Java"),
    ('<bpmn:serviceTask id="t" camunda:delegateExpression="${pay}"/>', "t", "camunda:delegateExpression is not supported"),
    ('<bpmn:serviceTask id="t" camunda:expression="${pay.run()}"/>', "t", "camunda:expression is not supported"),
    ('<bpmn:serviceTask id="t" camunda:resultVariable="r" camunda:topic="x"/>', "t",
     "camunda:resultVariable is supported only on bpmn:businessRuleTask, not on bpmn:serviceTask"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><camunda:taskListener class="a.B" event="create"/>'
     '</bpmn:extensionElements></bpmn:userTask>', "t", "camunda:taskListener class is not supported: Java"),
    ('<bpmn:userTask id="t" camunda:followUpDate="P1D"/>', "t", "camunda:followUpDate is not supported"),
    ('<bpmn:userTask id="t" camunda:asyncBefore="true"/>', "t", 'camunda:asyncBefore="true" is not supported'),
    ('<bpmn:scriptTask id="t" scriptFormat="python"><bpmn:extensionElements><camunda:inputOutput>'
     '<camunda:inputParameter name="x"><camunda:script scriptFormat="javascript">1</camunda:script>'
     '</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements><bpmn:script>y = x</bpmn:script>'
     '</bpmn:scriptTask>', "t", "javascript is not supported: write the script in Python"),
    ('<bpmn:serviceTask id="t"><bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector'
     '</camunda:connectorId></camunda:connector></bpmn:extensionElements></bpmn:serviceTask>', "t",
     "camunda:connector is not supported: Camunda Connect"),
    ('<bpmn:serviceTask id="t" camunda:topic="x"><bpmn:extensionElements><camunda:field name="a" stringValue="b"/>'
     '</bpmn:extensionElements></bpmn:serviceTask>', "t", "camunda:field is not supported: field injection"),
    ('<bpmn:callActivity id="t" calledElement="c" camunda:calledElementBinding="version" '
     'camunda:calledElementVersion="3"/>', "t", 'camunda:calledElementBinding="version" is not supported'),
    ('<bpmn:startEvent id="t"><bpmn:extensionElements><camunda:potentialStarter/></bpmn:extensionElements>'
     '</bpmn:startEvent>', "t", "camunda:potentialStarter is not supported"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><camunda:bogus/></bpmn:extensionElements></bpmn:userTask>', "t",
     "camunda:bogus is not a Camunda 7 element"),
    ('<bpmn:userTask id="t" camunda:topic="x"/>', "t", "camunda:topic is not a Camunda attribute of bpmn:userTask"),
    ('<bpmn:callActivity id="t" calledElement="c"><bpmn:extensionElements><camunda:in source="a" target="b" '
     'local="true"/></bpmn:extensionElements></bpmn:callActivity>', "t", 'camunda:in local="true" is not supported'),
    ('<bpmn:callActivity id="t" calledElement="c"><bpmn:extensionElements><camunda:in source="a" wrong="b"/>'
     '</bpmn:extensionElements></bpmn:callActivity>', "t", 'the attribute "wrong" of camunda:in is not a Camunda 7'),
])
def test_refused__names_the_element_and_the_reason(body, element, says):
    found = problems(body)
    assert any(e == element and says in m for e, m in found), found


def test_refused__a_signal_in_mapping_is_only_for_call_activities():
    found = problems('<bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition signalRef="s">'
                     '<bpmn:extensionElements><camunda:in variables="all"/></bpmn:extensionElements>'
                     '</bpmn:signalEventDefinition></bpmn:intermediateThrowEvent>')
    assert any(e == "t" and "supported only on bpmn:callActivity" in m for e, m in found), found


def test_refused__at_deploy_nothing_stored(engine):
    bad = bpmn(around('<bpmn:serviceTask id="t" camunda:class="org.acme.Pay"/>'))
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("a.bpmn", bad)])
    assert {"file": "a.bpmn", "element": "t"}.items() <= err.value.errors[0].items()
    assert engine.list_definitions() == []


@pytest.mark.parametrize("language", ["javascript", "groovy", "feel"])
def test_refused__condition_language_is_named(engine, language):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
            '<bpmn:exclusiveGateway id="g" default="f3"/><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e">'
            f'<bpmn:conditionExpression language="{language}">x &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e"/><bpmn:endEvent id="e"/>')
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("a.bpmn", bpmn(body))])
    assert any(p["element"] == "f2" and p["message"].startswith(f"{language} is not supported")
               for p in err.value.errors), err.value.errors


def test_refused__script_task_format_is_named(engine):
    body = around('<bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>')
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("a.bpmn", bpmn(body))])
    assert any(p["element"] == "t" and p["message"] == "javascript is not supported: write the script in Python"
               for p in err.value.errors), err.value.errors


# ------------------------------------------------------------------------------------ inert ones

def test_inert_attributes__deploy_and_run(engine):
    """Modeler metadata and Camunda defaults are accepted and change nothing."""
    head = ('<bpmn:process id="p" isExecutable="true" camunda:versionTag="1.2" camunda:historyTimeToLive="180" '
            'camunda:isStartableInTasklist="true" camunda:modelerTemplate="t" camunda:modelerTemplateVersion="1">')
    body = around('<bpmn:userTask id="t" camunda:asyncBefore="false" camunda:asyncAfter="false" camunda:async="false" '
                  'camunda:exclusive="true" camunda:formRefBinding="latest"><bpmn:extensionElements>'
                  '<camunda:properties><camunda:property id="p1" name="a" value="b"/></camunda:properties>'
                  '</bpmn:extensionElements></bpmn:userTask>')
    text = bpmn(body).decode().replace('<bpmn:process id="p" isExecutable="true">', head)
    text = text.replace('id="defs"', 'id="defs" camunda:diagramRelationId="abc"')
    text = text.replace('<bpmn:endEvent id="e"/>', '<bpmn:endEvent id="e"/><bpmn:callActivity id="c" '
                        'calledElement="q" camunda:calledElementBinding="latest"><bpmn:extensionElements>'
                        '<camunda:in variables="all" local="false"/></bpmn:extensionElements></bpmn:callActivity>'
                        '<bpmn:sequenceFlow id="fc" sourceRef="c" targetRef="e"/>', 1)
    callee = bpmn('<bpmn:startEvent id="qs"/><bpmn:sequenceFlow id="qf" sourceRef="qs" targetRef="qe"/>'
                  '<bpmn:endEvent id="qe"/>', pid="q").replace(b'id="defs"', b'id="defs2"')
    engine.deploy([("a.bpmn", text.encode()), ("q.bpmn", callee)])
    inst = engine.start("p", {"n": 1})
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    done = engine.complete_task(task.id, {}, actor=ANY)
    assert done.status == "completed" and done.data == {"n": 1}


# ------------------------------------------------- attributes diwan ran before the inventory

def _one_task(engine, inst):
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    return task


def test_existing__formkey(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:userTask id="t" camunda:formKey="request"/>'))),
                   *fixture_files("request.form")])
    inst = engine.start("p")
    assert _one_task(engine, inst).form_key == "request"


def test_existing__formref(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:userTask id="t" camunda:formRef="request"/>'))),
                   *fixture_files("request.form")])
    inst = engine.start("p")
    assert _one_task(engine, inst).form_key == "request"


def test_existing__candidategroups(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:userTask id="t" camunda:candidateGroups="a, b"/>')))])
    inst = engine.start("p")
    assert _one_task(engine, inst).candidate_groups == ["a", "b"]
    assert [t.element_id for t in engine.list_tasks("x", ["b"]).items] == ["t"]


def test_existing__candidateusers(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:userTask id="t" camunda:candidateUsers="amina"/>')))])
    inst = engine.start("p")
    assert _one_task(engine, inst).candidate_users == ["amina"]
    assert [t.element_id for t in engine.list_tasks("amina").items] == ["t"]


def test_existing__assignee(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:userTask id="t" camunda:assignee="${clerk}"/>')))])
    inst = engine.start("p", {"clerk": "amina"})
    assert _one_task(engine, inst).assignee == "amina"


def test_existing__duedate(engine, clock):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:userTask id="t" camunda:dueDate="P3D"/>')))])
    inst = engine.start("p")
    assert _one_task(engine, inst).due_at == clock.now() + timedelta(days=3)


def test_existing__priority(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:userTask id="t" camunda:priority="70"/>')))])
    inst = engine.start("p")
    assert _one_task(engine, inst).priority == 70


def test_existing__topic(engine, connectors):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:serviceTask id="t" camunda:type="external" '
                                          'camunda:topic="issue_number"/>')))])
    assert engine.start("p").data["number"] == "N-0001"


def test_existing__properties(engine, connectors):
    engine.deploy([("a.bpmn", bpmn(around(
        '<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="issue_number"><bpmn:extensionElements>'
        '<camunda:properties><camunda:property name="prefix" value="LBL"/></camunda:properties>'
        '</bpmn:extensionElements></bpmn:serviceTask>')))])
    assert engine.start("p").data["number"] == "LBL-0001"


def test_existing__type(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:serviceTask id="t" camunda:type="external" '
                                          'camunda:topic="nobody_answers"/>')))])
    inst = engine.start("p")
    assert inst.active_elements == ["t"] and [t.topic for t in engine.external_tasks(instance_id=inst.id)] == \
        ["nobody_answers"]
    with pytest.raises(InvalidDefinition):
        engine.deploy([("b.bpmn", bpmn(around('<bpmn:serviceTask id="t" camunda:type="soap" camunda:topic="x"/>'),
                                        pid="p2"))])


def test_existing__taskpriority(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:serviceTask id="t" camunda:type="external" '
                                          'camunda:topic="nobody_answers" camunda:taskPriority="${urgency}"/>')))])
    inst = engine.start("p", {"urgency": 9})
    assert [t.priority for t in engine.external_tasks(instance_id=inst.id)] == [9]


def test_existing__collection(engine):
    engine.deploy([("a.bpmn", bpmn(around(
        '<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${kids}" '
        'camunda:elementVariable="kid"/></bpmn:userTask>')))])
    inst = engine.start("p", {"kids": ["a", "b"]})
    assert len(engine.list_tasks(see_all=True, instance_id=inst.id).items) == 2


def test_existing__decisionref(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:businessRuleTask id="t" camunda:decisionRef="cofinancing_rate"/>'))),
                   *fixture_files("rate.dmn")])
    assert engine.start("p", {"category": "education", "label_years": 5}).data["rate"] == 0.5


def test_inventory__one_entry_per_line():
    """Branches flip entries (not yet -> implemented): one line each keeps their merges trivial."""
    source = (ROOT / "engine" / "definitions" / "camunda_inventory.py").read_text()
    body = source.split("CAMUNDA_INVENTORY: dict[str, Entry] = {\n", 1)[1].split("\n}\n", 1)[0]
    keys = [re.match(r'    "([^"]+)": ', line) for line in body.splitlines()]
    assert all(keys) and [k[1] for k in keys] == list(CAMUNDA_INVENTORY)


def test_inventory__entries_checked_elsewhere_are_refused_there(engine):
    """Entries with `by` are left to the module that reads them, which names the field itself."""
    delegated = {k: e for k, e in CAMUNDA_INVENTORY.items() if e.by}
    assert set(delegated) == {"FormField.datePattern", "FormField.properties", "FormData.businessKey",
                              "Initiator.initiator"}
    body = around('<bpmn:userTask id="t"><bpmn:extensionElements><camunda:formData businessKey="k">'
                  '<camunda:formField id="a" type="date" datePattern="dd/MM/yyyy"/></camunda:formData>'
                  '</bpmn:extensionElements></bpmn:userTask>')
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("a.bpmn", bpmn(body))])
    text = " ".join(p["message"] for p in err.value.errors)
    assert "businessKey is not supported" in text and "datePattern" in text


def test_existing__manual_task_takes_the_assignment_attributes(engine):
    engine.deploy([("a.bpmn", bpmn(around('<bpmn:manualTask id="t" camunda:candidateGroups="archives" '
                                          'camunda:assignee="amina"/>')))])
    task = _one_task(engine, engine.start("p"))
    assert (task.candidate_groups, task.assignee) == (["archives"], "amina")
