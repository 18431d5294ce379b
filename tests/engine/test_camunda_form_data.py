"""camunda:formData: generated task and start forms, translated into form-js at deploy and
validated on the server like any form-js form."""
from __future__ import annotations

import pytest

from engine import Actor, InvalidData, InvalidDefinition

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">')
CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))

START_FIELDS = ('<camunda:formField id="applicant" label="Demandeur" type="string">'
                '<camunda:validation><camunda:constraint name="required"/>'
                '<camunda:constraint name="minlength" config="2"/><camunda:constraint name="maxlength" config="20"/>'
                '</camunda:validation></camunda:formField>'
                '<camunda:formField id="amount" label="Montant" type="long" defaultValue="10">'
                '<camunda:validation><camunda:constraint name="min" config="1"/>'
                '<camunda:constraint name="max" config="1000"/></camunda:validation></camunda:formField>')
TASK_FIELDS = ('<camunda:formField id="approved" label="Approuvé" type="boolean" defaultValue="false"/>'
               '<camunda:formField id="decided_on" label="Date" type="date"/>'
               '<camunda:formField id="kind" label="Nature" type="enum" defaultValue="new">'
               '<camunda:value id="new" name="Nouvelle"/><camunda:value id="renewal" name="Renouvellement"/>'
               '</camunda:formField>'
               '<camunda:formField id="applicant" label="Demandeur" type="string">'
               '<camunda:validation><camunda:constraint name="readonly"/></camunda:validation></camunda:formField>')


def diagram(start_fields: str = START_FIELDS, task_fields: str = TASK_FIELDS, task_attrs: str = "") -> tuple[str, bytes]:
    def ext(fields):
        return (f"<bpmn:extensionElements><camunda:formData>{fields}</camunda:formData></bpmn:extensionElements>"
                if fields is not None else "")
    body = ('<bpmn:process id="p" isExecutable="true">'
            f'<bpmn:startEvent id="s">{ext(start_fields)}</bpmn:startEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            f'<bpmn:userTask id="t" name="Décider" camunda:candidateGroups="clerks" {task_attrs}>'
            f'{ext(task_fields)}</bpmn:userTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>')
    return ("p.bpmn", f"{HEAD}{body}</bpmn:definitions>".encode())


def refused(engine, files) -> list[tuple[str, str]]:
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy(files)
    return [(e["element"], e["message"]) for e in err.value.errors]


def test_form_data__deployed_as_form_js_forms(engine):
    deployed = engine.deploy([diagram()])
    assert sorted(f["key"] for f in deployed.forms) == ["p.s", "p.t"]
    assert engine.get_definition("p").start_form_key == "p.s"
    form = engine.form("p.t")
    components = {c["key"]: c for c in form["components"]}
    assert components["approved"] == {"key": "approved", "id": "p_t_approved", "type": "checkbox",
                                      "label": "Approuvé", "defaultValue": False}
    assert components["decided_on"]["type"] == "datetime" and components["decided_on"]["subtype"] == "date"
    assert components["kind"]["values"] == [{"label": "Nouvelle", "value": "new"},
                                            {"label": "Renouvellement", "value": "renewal"}]
    assert components["applicant"]["readonly"] is True
    start = {c["key"]: c for c in engine.form("p.s")["components"]}
    assert start["amount"] == {"key": "amount", "id": "p_s_amount", "type": "number", "label": "Montant",
                               "decimalDigits": 0, "defaultValue": 10, "validate": {"min": 1, "max": 1000}}
    assert start["applicant"]["validate"] == {"required": True, "minLength": 2, "maxLength": 20}
    assert engine.deploy([diagram()]).forms == [{"key": "p.s", "version": 1, "status": "unchanged"},
                                                {"key": "p.t", "version": 1, "status": "unchanged"}]


def test_form_data__start_form_is_validated(engine):
    engine.deploy([diagram()])
    with pytest.raises(InvalidData) as err:
        engine.start("p", {"applicant": "x", "amount": 5000}, actor=CLERK)
    assert set(err.value.errors) == {"applicant", "amount"}
    with pytest.raises(InvalidData) as err:
        engine.start("p", {"amount": 2.5}, actor=CLERK)
    assert set(err.value.errors) == {"applicant", "amount"}  # required; an integer
    inst = engine.start("p", {"applicant": "Amina", "amount": 12}, actor=CLERK)
    assert inst.data == {"applicant": "Amina", "amount": 12}


def test_form_data__task_form_is_validated_and_readonly_dropped(engine):
    engine.deploy([diagram()])
    inst = engine.start("p", {"applicant": "Amina", "amount": 12}, actor=CLERK)
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    assert task.form_key == "p.t"
    with pytest.raises(InvalidData) as err:
        engine.complete_task(task.id, {"kind": "other", "decided_on": "31/12/2026", "approved": "yes"}, actor=CLERK)
    assert set(err.value.errors) == {"kind", "decided_on", "approved"}
    done = engine.complete_task(task.id, {"kind": "renewal", "decided_on": "2026-12-31", "approved": True,
                                          "applicant": "changed"}, actor=CLERK)
    assert done.status == "completed"
    assert done.data == {"applicant": "Amina", "amount": 12, "kind": "renewal", "decided_on": "2026-12-31",
                         "approved": True}


@pytest.mark.parametrize("fields, message", [
    ('<camunda:formField id="a" type="customType"/>', "form field 'a': type 'customType' is not supported"),
    ('<camunda:formField id="a" type="string"><camunda:validation><camunda:constraint name="validator" '
     'config="com.acme.Check"/></camunda:validation></camunda:formField>', "the constraint 'validator' is not supported"),
    ('<camunda:formField id="a" type="string"><camunda:validation><camunda:constraint name="pattern" '
     'config="x"/></camunda:validation></camunda:formField>', "the constraint 'pattern' is not supported"),
    ('<camunda:formField id="a" type="string"><camunda:properties><camunda:property id="x" value="y"/>'
     '</camunda:properties></camunda:formField>', "form field 'a': camunda:properties is not supported"),
    ('<camunda:formField id="a" type="boolean"><camunda:validation><camunda:constraint name="min" '
     'config="1"/></camunda:validation></camunda:formField>', "'min' does not apply to a boolean field"),
    ('<camunda:formField id="a" type="long" defaultValue="${x}"/>', "expressions are not supported in defaultValue"),
    ('<camunda:formField id="a" type="long" defaultValue="1.5"/>', "defaultValue '1.5' is not an integer"),
    ('<camunda:formField id="a" type="enum"/>', "an enum field needs camunda:value options"),
    ('<camunda:formField id="a" type="date" datePattern="dd/MM/yyyy"/>', "datePattern is not supported on a form field"),
    ('<camunda:formField id="a" camunda:other="x"/>', "other is not supported on a form field"),
    ('<camunda:formField id="a-b" type="string"/>', "the id must be a variable name"),
    ('<camunda:formField id="a"/><camunda:formField id="a"/>', "the id is used by another field"),
])
def test_form_data__unsupported_is_refused_naming_the_field(engine, fields, message):
    problems = refused(engine, [diagram(task_fields=fields)])
    assert [element for element, _ in problems] == ["t"]
    assert message in problems[0][1], problems


def test_form_data__next_to_a_form_key_is_refused(engine):
    problems = refused(engine, [diagram(task_attrs='camunda:formKey="other"')])
    assert ("t", "give either camunda:formKey/formRef or camunda:formData (a generated form), not both") in problems


def test_form_data__a_published_draft_brings_its_generated_forms(engine):
    designer = Actor("nadia", roles=("designer",))
    engine.deploy([diagram()])
    source = diagram()[1].decode().replace('label="Nature"', 'label="Nature de la demande"')
    engine.save_draft("process", "p", source, revision=0, base_version=1, actor=designer)
    published = engine.publish_draft("process", "p", revision=1, actor=designer)
    assert {f["key"]: (f["version"], f["status"]) for f in published.forms} == {"p.s": (1, "unchanged"),
                                                                               "p.t": (2, "new")}
    labels = {c["key"]: c.get("label") for c in engine.form("p.t")["components"]}
    assert labels["kind"] == "Nature de la demande"


def test_form_data__a_running_instance_keeps_the_form_it_started_with(engine):
    engine.deploy([diagram()])
    inst = engine.start("p", {"applicant": "Amina"}, actor=CLERK)
    engine.deploy([diagram(task_fields=TASK_FIELDS.replace('<camunda:value id="renewal" name="Renouvellement"/>', ""))])
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    done = engine.complete_task(task.id, {"kind": "renewal"}, actor=CLERK)  # still an option of version 1
    assert done.status == "completed"
