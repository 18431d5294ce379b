"""Deployment: validation (all or nothing, errors naming file and element) and versioning."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import InvalidDefinition
from tests.conftest import fixture_files

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">')


def bpmn(body: str, pid: str = "p") -> bytes:
    return (f'{HEAD}<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process>'
            '</bpmn:definitions>').encode()


SIMPLE = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
          '<bpmn:userTask id="t" {attrs}/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
          '<bpmn:endEvent id="e"/>')


def refused(engine, files) -> list[dict]:
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy(files)
    return err.value.errors


def _count(engine, table: str) -> int:
    with engine.db.connect() as conn:
        return conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()


def test_deploy__versions_by_content(engine):
    first = engine.deploy(fixture_files("representative.bpmn"))
    assert [(d["key"], d["version"]) for d in first.definitions] == [("representative", 1)]
    again = engine.deploy(fixture_files("representative.bpmn"))
    assert again.definitions[0]["version"] == 1 and again.definitions[0]["id"] == first.definitions[0]["id"]
    changed = fixture_files("representative.bpmn")[0][1].replace(b"Demande re", b"Demande bien re")
    third = engine.deploy([("representative.bpmn", changed)])
    assert third.definitions[0]["version"] == 2
    assert [v.version for v in engine.definition_versions("representative")] == [2, 1]
    assert engine.get_definition("representative", 1).version == 1


def test_deploy__forms_and_process_together(engine):
    out = engine.deploy(fixture_files("with_forms.bpmn", "request.form", "decision_form.form"))
    assert {(f["key"], f["version"]) for f in out.forms} == {("request", 1), ("decision_form", 1)}
    assert engine.list_definitions()[0].start_form_key == "request"


@pytest.mark.parametrize("content, message", [
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "DOCTYPE"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
     b'<lolz>&lol2;</lolz>', "DOCTYPE"),
    (b"<bpmn:definitions xmlns:bpmn='x'><unclosed>", "malformed XML"),
    (b"<root/>", "not a BPMN"),
])
def test_deploy__unsafe_or_malformed_xml_is_refused(engine, content, message):
    errors = refused(engine, [("bad.bpmn", content)])
    assert errors[0]["file"] == "bad.bpmn" and message in errors[0]["message"]


@pytest.mark.parametrize("body, element, message", [
    ('<bpmn:userTask id="t"/>', None, "start"),
    (SIMPLE.format(attrs='camunda:formKey="missing_form"'), "t", "form 'missing_form' is not deployed"),
    (SIMPLE.replace('<bpmn:userTask id="t" {attrs}/>',
                    '<bpmn:scriptTask id="t"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'),
     "t", "import"),
    (SIMPLE.replace('<bpmn:userTask id="t" {attrs}/>',
                    '<bpmn:scriptTask id="t"><bpmn:script>x = ().__class__</bpmn:script></bpmn:scriptTask>'),
     "t", "__class__"),
    (SIMPLE.replace('<bpmn:userTask id="t" {attrs}/>', '<bpmn:intermediateCatchEvent id="t">'
                    '<bpmn:timerEventDefinition><bpmn:timeDuration>5 minutes</bpmn:timeDuration>'
                    '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'), "t", "timer"),
    # A topic naming no connector is an external task (tests/engine/test_external_tasks.py); a
    # connector type naming none, or an external task without a topic, is refused.
    (SIMPLE.replace('<bpmn:userTask id="t" {attrs}/>',
                    '<bpmn:serviceTask id="t" camunda:type="no_such_connector"/>'), "t", "no_such_connector"),
    (SIMPLE.replace('<bpmn:userTask id="t" {attrs}/>',
                    '<bpmn:serviceTask id="t" camunda:type="external"/>'), "t", "camunda:topic"),
    (SIMPLE.replace('{attrs}', '').replace('targetRef="e"/>', 'targetRef="e"><bpmn:conditionExpression>'
                    '${a.b()}</bpmn:conditionExpression></bpmn:sequenceFlow>'), "f2", "JUEL"),
])
def test_deploy__bad_definition_names_file_and_element(engine, body, element, message):
    errors = refused(engine, [("bad.bpmn", bpmn(body))])
    assert any(e["file"] == "bad.bpmn" and (element is None or e["element"] == element)
               and message in e["message"] for e in errors), errors


def test_deploy__all_or_nothing(engine):
    bad = bpmn(SIMPLE.format(attrs='camunda:formKey="missing_form"'), pid="bad")
    refused(engine, fixture_files("representative.bpmn") + [("bad.bpmn", bad)])
    assert _count(engine, "definition") == 0 and _count(engine, "deployment") == 0


def test_deploy__unsupported_construct_is_refused(engine):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
            '<bpmn:complexGateway id="g"/><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"/>'
            '<bpmn:endEvent id="e"/>')
    errors = refused(engine, [("c.bpmn", bpmn(body))])
    assert any(e["element"] == "g" and "complex" in e["message"].lower() for e in errors)


def test_deploy__bad_form_is_refused(engine):
    errors = refused(engine, [("f.form", b'{"id": "f", "components": [{"type": "textfield"}]}')])
    assert errors[0]["file"] == "f.form"
