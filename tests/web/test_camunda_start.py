"""A Camunda 7 diagram in the browser: candidateStarterGroups decide who sees Démarrer, the admin
page says so, and camunda:formData start and task forms render with form-js and validate."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.engine.test_camunda_form_data import HEAD

FIELDS_START = ('<camunda:formField id="applicant" label="Demandeur" type="string">'
                '<camunda:validation><camunda:constraint name="required"/>'
                '<camunda:constraint name="minlength" config="3"/></camunda:validation></camunda:formField>'
                '<camunda:formField id="amount" label="Montant" type="long" defaultValue="10">'
                '<camunda:validation><camunda:constraint name="max" config="1000"/></camunda:validation>'
                '</camunda:formField>')
FIELDS_TASK = ('<camunda:formField id="applicant" label="Demandeur" type="string">'
               '<camunda:validation><camunda:constraint name="readonly"/></camunda:validation></camunda:formField>'
               '<camunda:formField id="approved" label="Approuvé" type="boolean"/>'
               '<camunda:formField id="kind" label="Nature" type="enum">'
               '<camunda:value id="new" name="Nouvelle"/><camunda:value id="renewal" name="Renouvellement"/>'
               '<camunda:validation><camunda:constraint name="required"/></camunda:validation></camunda:formField>')
DIAGRAM = (f'{HEAD}<bpmn:process id="camunda_demo" name="Demande Camunda" isExecutable="true" '
           'camunda:candidateStarterGroups="bureau_ordre">'
           '<bpmn:startEvent id="s" camunda:initiator="starter"><bpmn:extensionElements><camunda:formData>'
           f'{FIELDS_START}</camunda:formData></bpmn:extensionElements></bpmn:startEvent>'
           '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="decide"/>'
           '<bpmn:userTask id="decide" name="Décider" camunda:assignee="${starter}"><bpmn:extensionElements>'
           f'<camunda:formData>{FIELDS_TASK}</camunda:formData></bpmn:extensionElements></bpmn:userTask>'
           '<bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="e"/><bpmn:endEvent id="e"/>'
           '</bpmn:process></bpmn:definitions>')


def test_camunda_starters_and_generated_forms(engine, session_factory, users):
    engine.deploy([("camunda_demo.bpmn", DIAGRAM.encode())])

    # Outside the diagram's starter group: no Démarrer, and the start page is refused
    other = session_factory()
    page = other.login(users["clerk2"])
    page.goto("/processes")
    row = page.locator('#process-list tr[data-key="camunda_demo"]')
    expect(row.locator(".not-starter")).to_have_text("Réservée")
    expect(row.get_by_role("link", name="Démarrer")).to_have_count(0)
    assert page.goto("/processes/camunda_demo/start").status == 403

    # A member of bureau_ordre starts it from the generated start form
    s = session_factory()
    page = s.login(users["clerk"])
    page.goto("/processes")
    page.locator('tr[data-key="camunda_demo"]').get_by_role("link", name="Démarrer").click()
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    expect(page.get_by_label("Montant")).to_have_value("10")
    page.get_by_label("Demandeur").fill("Al")
    page.get_by_role("button", name="Démarrer la procédure").click()
    expect(page.locator(".fjs-form-field-error").first).to_be_visible()  # minlength 3
    # The page focuses the first field in error in its next frame: type once it has (else that
    # focus could land after the blur below, and the field keep its error).
    expect(page.locator("body")).to_have_attribute("data-error-shown", re.compile(".+"))
    page.get_by_label("Demandeur").fill("Amina B.")
    page.get_by_label("Demandeur").blur()
    # form-js takes a text field's value after a debounce: submit once it has taken it
    expect(page.locator(".fjs-form-field-error")).to_have_count(0)
    s.shot("camunda-start-form")
    page.get_by_role("button", name="Démarrer la procédure").click()
    expect(page.locator("#start-message")).to_contain_text("Dossier créé")
    # The start page goes to the inbox on its own 900 ms later: a navigation begun before then
    # is aborted by it (net::ERR_ABORTED), so the next one waits until it has happened.
    page.wait_for_url(re.compile(r"/tasks$"))
    [inst] = engine.list_instances(definition_key="camunda_demo").items
    assert inst.data == {"applicant": "Amina B.", "amount": 10, "starter": users["clerk"]}

    # The generated task form, assigned to the starter (camunda:assignee="${starter}")
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    assert task.assignee == users["clerk"]
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    expect(page.get_by_label("Demandeur")).to_have_value("Amina B.")
    page.get_by_role("button", name="Valider la tâche").click()
    expect(page.locator(".fjs-form-field-error").first).to_be_visible()  # Nature is required
    page.get_by_label("Approuvé").check()
    page.locator(".fjs-form-field-select", has_text="Nature").locator(".fjs-select-display").click()
    page.locator(".fjs-dropdownlist-item", has_text="Renouvellement").click()
    s.shot("camunda-task-form")
    page.get_by_role("button", name="Valider la tâche").click()
    expect(page.locator("#task-message")).to_contain_text("Tâche terminée")
    page.wait_for_url(re.compile(r"/tasks$"))
    done = engine.get_instance(inst.id)
    assert done.status == "completed" and done.data["kind"] == "renewal" and done.data["approved"] is True

    # The admin page says who may start it, from the diagram
    admin = session_factory()
    page = admin.login(users["admin"])
    page.goto("/admin/definitions")
    starters = page.locator('#admin-definitions tr[data-key="camunda_demo"] .starters')
    expect(starters).to_contain_text("bureau_ordre")
    expect(starters).to_contain_text("Selon le diagramme")
    for session in (other, s, admin):
        session.assert_no_errors()
