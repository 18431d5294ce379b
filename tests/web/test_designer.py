"""The designer's journey: draw a new process in the modeler as a draft, see the publication
errors on the diagram, build its form in the form editor, publish both; a clerk then completes
its task. Also the decision table editor (an unchanged table publishes nothing)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import fixture_files


def drag(page, source, target, dx=0, dy=0):
    """Drag with intermediate moves (dragula, diagram-js need them)."""
    a, b = source.bounding_box(), target.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    tx, ty = b["x"] + b["width"] / 2 + dx, b["y"] + b["height"] / 2 + dy
    for i in range(1, 11):
        page.mouse.move(a["x"] + (tx - a["x"]) * i / 10, a["y"] + (ty - a["y"]) * i / 10)
    page.mouse.up()


def select_shape(page, element_id):
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] - 60, canvas["y"] + canvas["height"] - 60)
    box = page.locator(f'g.djs-shape[data-element-id="{element_id}"]').bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".djs-context-pad")).to_be_visible()


def panel_group(page, title):
    header = page.locator(".bio-properties-panel-group-header", has_text=title).first
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def fill_panel(page, field_id, value):
    field = page.locator(f"#bio-properties-panel-{field_id}")
    field.fill(value)
    field.press("Tab")
    page.wait_for_timeout(350)  # the panel's inputs are debounced


def test_designer_draws_saves_publishes_and_clerk_completes(engine, session_factory, users):
    s = session_factory()
    page = s.login(users["designer"])
    expect(page).to_have_url(re.compile(r"/designer$"))
    s.shot("designer-index")
    page.get_by_role("button", name="Nouveau diagramme").click()
    page.wait_for_url(re.compile(r"/modeler/procedure_1$"))
    expect(page.locator("body")).to_have_attribute("data-imported", "ok:0")
    assert engine.list_definitions() == []  # a draft, nothing clerks could start

    # Draw: start -> user task -> end, with the context pad
    select_shape(page, "debut")
    page.locator('.djs-context-pad .entry[data-action="append.append-task"]').click()
    task = page.locator(".djs-shape.selected").first
    expect(task).to_be_visible()
    page.locator('.djs-context-pad .entry[data-action="replace"]').click()
    page.locator('.djs-popup .entry[data-id="replace-with-user-task"]').click()
    expect(page.locator(".bio-properties-panel-header-type")).to_contain_text("Tâche utilisateur", ignore_case=True)
    panel_group(page, "Général")
    fill_panel(page, "id", "saisir_demande")
    fill_panel(page, "name", "Saisir la demande")
    panel_group(page, "Attribution")
    fill_panel(page, "candidateGroups", "bureau_ordre")
    panel_group(page, "Formulaire")
    page.locator("#bio-properties-panel-formType").select_option("formKey")
    fill_panel(page, "formKey", "attestation_demande")
    select_shape(page, "saisir_demande")
    page.locator('.djs-context-pad .entry[data-action="append.end-event"]').click()
    # The process: click the empty canvas, give it its own id before the first publication
    box = page.locator("#canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 60, box["y"] + box["height"] - 60)
    expect(page.locator(".bio-properties-panel-header-type")).to_contain_text("Procédure", ignore_case=True)
    panel_group(page, "Général")
    fill_panel(page, "id", "demande_attestation")
    fill_panel(page, "name", "Demande d'attestation consulaire")
    xml = page.evaluate("window.diwanModeler.saveXML().then(r => r.xml)")
    assert 'camunda:candidateGroups="bureau_ordre"' in xml and 'camunda:formKey="attestation_demande"' in xml
    assert '<bpmn:process id="demande_attestation"' in xml and "<bpmn:endEvent" in xml

    # Save the draft: the draft follows the new id; still nothing published
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("body")).to_have_attribute("data-saved", "demande_attestation:2")
    expect(page).to_have_url(re.compile(r"/modeler/demande_attestation$"))
    assert engine.list_definitions() == [] and engine.draft("process", "demande_attestation").revision == 2

    # Check: the form does not exist yet -> the error is marked on the user task
    page.get_by_role("button", name="Vérifier").click()
    expect(page.locator("body")).to_have_attribute("data-checked", "error")
    expect(page.locator('.djs-element.dw-error[data-element-id="saisir_demande"]')).to_have_count(1)
    expect(page.locator("#deploy-errors li").first).to_contain_text("saisir_demande")
    s.shot("modeler-check-errors")

    # Build the form in the form editor (another tab): draft, then publish it
    editor = s.new_page()
    editor.goto("/forms/attestation_demande/edit")
    expect(editor.locator("body")).to_have_attribute("data-editor-ready", "true")
    drag(editor, editor.locator('.fjs-palette-field[data-field-type="textfield"]'),
         editor.locator(".fjs-editor-container .fjs-form").first)
    expect(editor.locator(".fjs-editor-container .fjs-form-field-textfield")).to_have_count(1)
    editor.wait_for_timeout(300)
    if "Form" in editor.locator(".bio-properties-panel-header-type").inner_text():  # not selected after the drop
        editor.locator(".fjs-element", has=editor.locator(".fjs-form-field-textfield")).last.click()
    expect(editor.locator(".bio-properties-panel-header-type")).to_contain_text("Champ texte", ignore_case=True)
    panel_group(editor, "Général")
    fill_panel(editor, "label", "Motif de la demande")
    fill_panel(editor, "key", "motif")
    panel_group(editor, "Validation")
    editor.locator("#bio-properties-panel-required").check()
    editor.wait_for_timeout(300)
    s.shot("form-editor", editor)
    editor.get_by_role("button", name="Publier…").click()
    editor.wait_for_url(re.compile(r"/designer/form/attestation_demande/publish$"))
    expect(editor.locator("body")).to_have_attribute("data-preview", "new")
    editor.get_by_role("button", name="Publier", exact=True).click()
    expect(editor.locator("body")).to_have_attribute("data-published", "attestation_demande:1")
    schema = engine.form("attestation_demande")
    field = [c for c in schema["components"] if c.get("key") == "motif"][0]
    assert field["label"] == "Motif de la demande" and field["validate"]["required"] is True

    # Publish the diagram: the publication page shows the draft, valid now
    page.bring_to_front()
    page.get_by_role("button", name="Publier…").click()
    page.wait_for_url(re.compile(r"/designer/process/demande_attestation/publish$"))
    expect(page.locator("body")).to_have_attribute("data-preview", "new")
    expect(page.locator('#draft-diagram [data-element-id="saisir_demande"]')).to_have_count(1)
    s.shot("publish-first-version")
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-published", "demande_attestation:1")
    page.goto("/designer")
    expect(page.locator('#definitions tr[data-key="demande_attestation"]')).to_contain_text("v1")
    page.goto("/modeler/demande_attestation")
    expect(page.locator("body")).to_have_attribute("data-imported", "ok:0")
    expect(page.locator('[data-element-id="saisir_demande"]')).to_have_count(1)
    s.assert_no_errors()

    # A clerk starts it and completes its task
    c = session_factory()
    clerk = c.login(users["clerk"])
    clerk.goto("/processes/demande_attestation/start")
    clerk.get_by_role("button", name="Démarrer la procédure").click()
    clerk.wait_for_url(re.compile(r"/tasks$"))
    row = clerk.locator("#group-tasks tr", has_text="Saisir la demande")
    row.get_by_role("button", name="Prendre et traiter").click()  # claimed, then its page
    expect(clerk.locator("body")).to_have_attribute("data-diagram-ready", "true")
    clerk.get_by_label("Motif de la demande").fill("Renouvellement de passeport")
    c.shot("designed-task")
    clerk.get_by_role("button", name="Valider la tâche").click()
    clerk.wait_for_url(re.compile(r"/tasks$"))
    instance = engine.list_instances(definition_key="demande_attestation").items[0]
    assert instance.status == "completed" and instance.data["motif"] == "Renouvellement de passeport"
    c.assert_no_errors()


def test_decision_editor_edits_and_deploys(engine, session_factory, users):
    engine.deploy(fixture_files("rate.dmn"))
    key = engine.db and _decision_key(engine)
    s = session_factory()
    page = s.login(users["designer"])
    page.get_by_role("link", name=key).click()
    expect(page.locator("body")).to_have_attribute("data-editor-ready", "true")
    expect(page.locator(".tjs-table")).to_be_visible()
    s.shot("decision-editor")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("body")).to_have_attribute("data-saved", f"{key}:1")
    page.get_by_role("button", name="Publier…").click()
    page.wait_for_url(re.compile(f"/designer/decision/{key}/publish$"))
    expect(page.locator("body")).to_have_attribute("data-preview", "unchanged")  # dmn-js wrote it back unchanged
    expect(page.get_by_role("button", name="Publier", exact=True)).to_be_disabled()
    assert [v.version for v in engine.definition_versions(key, "decision")] == [1]
    s.assert_no_errors()


def _decision_key(engine) -> str:
    from engine.db import definitions

    with engine.db.connect() as conn:
        return definitions.latest_of_each(conn, "decision")[0].key
