"""Designers' lifecycle in the browser: an unchanged diagram publishes nothing, the publication
page shows what changed (bpmn-js-differ) and publishes, old versions open read only and are
re-published, new diagrams never share an id, a stale save is refused with who published,
a failed import blocks saving, the form-key pattern works, a process is withdrawn."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.conftest import ROOT, deploy_complaints

COMPLAINT = (ROOT / "processes" / "bpmn" / "complaint_handling.bpmn").read_text()
RENAMED = COMPLAINT.replace('name="Enregistrer et qualifier', 'name="Qualifier', 1)


def _bundled(engine):
    engine.deploy([ROOT / "processes" / "bpmn", ROOT / "forms"])


def test_unchanged_diagram_publishes_nothing(engine, session_factory, users):
    _bundled(engine)
    s = session_factory()
    page = s.login(users["designer"])
    page.goto("/modeler/grant_cofinancing")
    expect(page.locator("body")).to_have_attribute("data-imported", re.compile(r"^ok:"))
    page.get_by_role("button", name="Publier…").click()
    page.wait_for_url(re.compile(r"/designer/process/grant_cofinancing/publish$"))
    expect(page.locator("body")).to_have_attribute("data-preview", "unchanged")
    expect(page.get_by_role("button", name="Publier", exact=True)).to_be_disabled()
    expect(page.locator("#changes li").first).to_have_text("Aucune différence.")
    assert [v.version for v in engine.definition_versions("grant_cofinancing")] == [1]
    s.assert_no_errors()


def test_publication_page_shows_the_changes_then_publishes(engine, session_factory, users):
    deploy_complaints(engine)
    engine.save_draft("process", "complaint_handling", RENAMED, revision=0, base_version=1)
    s = session_factory()
    page = s.login(users["designer"])
    page.goto("/designer")
    page.locator('#definitions tr[data-key="complaint_handling"] .tag-draft').click()
    page.wait_for_url(re.compile(r"/designer/process/complaint_handling/publish$"))
    expect(page.locator("body")).to_have_attribute("data-preview", "new")
    expect(page.locator('#draft-diagram .dw-changed[data-element-id="qualifier_reclamation"]')).to_have_count(1)
    expect(page.locator('#current-diagram .dw-changed[data-element-id="qualifier_reclamation"]')).to_have_count(1)
    expect(page.locator("#changes li.changed")).to_contain_text(
        'name : "Enregistrer et qualifier la réclamation" → "Qualifier la réclamation"')
    expect(page.locator("body")).to_have_attribute("data-diff", "1")
    s.shot("publish-diff")
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-published", "complaint_handling:2")
    assert engine.drafts() == [] and "Qualifier la réclamation" in engine.definition_source("complaint_handling")

    # The old version opens read only, downloads, and is re-published as v3
    page.goto("/designer")
    page.locator('#definitions tr[data-key="complaint_handling"] .tag[data-version="1"]').click()
    expect(page.locator("#mode")).to_have_text("Version 1 (lecture seule)")
    expect(page.locator("body")).to_have_attribute("data-imported", re.compile(r"^ok:"))
    with page.expect_download() as download:
        page.locator("#download-version").click()
    assert download.value.suggested_filename == "complaint_handling-v1.bpmn"
    page.get_by_role("button", name="Republier la version 1").click()
    expect(page.locator("body")).to_have_attribute("data-republished", "complaint_handling:3")
    assert engine.definition_source("complaint_handling") == COMPLAINT
    s.assert_no_errors()


def test_two_new_diagrams_never_share_an_id_and_a_stale_save_is_refused(engine, session_factory, users):
    deploy_complaints(engine)
    one, two = session_factory(), session_factory()
    a, b = one.login(users["designer"]), two.login(users["admin"])
    for page in (a, b):
        page.goto("/designer")
        page.get_by_role("button", name="Nouveau diagramme").click()
        page.wait_for_url(re.compile(r"/modeler/procedure_\d+$"))
    assert a.url != b.url and len(engine.drafts("process")) == 2

    # nadia opens v1; a v2 is published meanwhile; her first save is refused, naming the version
    a.goto("/modeler/complaint_handling")
    expect(a.locator("body")).to_have_attribute("data-imported", re.compile(r"^ok:"))
    engine.deploy([("complaint_handling.bpmn", RENAMED.encode())])
    a.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(a.locator("body")).to_have_attribute("data-saved", "error")
    expect(a.locator("#modeler-message")).to_contain_text("la version v2 a été publiée")
    one.assert_no_errors()


def test_a_failed_import_blocks_saving_until_the_designer_chooses(engine, session_factory, users, tmp_path):
    deploy_complaints(engine)
    s = session_factory()
    page = s.login(users["designer"])
    page.goto("/modeler/complaint_handling")
    expect(page.locator("body")).to_have_attribute("data-imported", re.compile(r"^ok:"))
    bad = tmp_path / "casse.bpmn"
    bad.write_text("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><unclosed>")
    page.locator("#import-file").set_input_files(str(bad))
    expect(page.locator("body")).to_have_attribute("data-imported", re.compile(r"^error:"))
    expect(page.locator("#import-failed")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer le brouillon")).to_be_disabled()
    expect(page.get_by_role("button", name="Publier…")).to_be_disabled()
    assert engine.drafts() == []
    page.get_by_role("button", name="Continuer avec le diagramme affiché").click()
    expect(page.get_by_role("button", name="Enregistrer le brouillon")).to_be_enabled()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("body")).to_have_attribute("data-saved", "complaint_handling:1")
    assert "qualifier_reclamation" in engine.draft("process", "complaint_handling").source


def test_form_key_pattern_refuses_a_bad_key_in_the_browser_and_on_the_server(engine, session_factory, users):
    s = session_factory()
    page = s.login(users["designer"])
    page.goto("/designer")
    field = page.locator("#new-form-key")
    field.fill("Bad Key!")
    page.get_by_role("button", name="Créer").click()
    expect(page).to_have_url(re.compile(r"/designer$"))
    assert page.evaluate("document.getElementById('new-form-key').validity.patternMismatch") is True
    response = page.goto("/forms/edit?key=Bad%20Key!")
    assert response.status == 400
    expect(page.locator("main")).to_contain_text("Clé de formulaire invalide")
    page.goto("/designer")
    page.locator("#new-form-key").fill("demande_carte")
    page.get_by_role("button", name="Créer").click()
    page.wait_for_url(re.compile(r"/forms/demande_carte/edit$"))
    expect(page.locator("body")).to_have_attribute("data-editor-ready", "true")


def test_withdrawn_process_leaves_the_clerks_list_running_cases_go_on(engine, session_factory, users):
    deploy_complaints(engine)
    s = session_factory()
    page = s.login(users["designer"])
    page.goto("/designer")
    page.once("dialog", lambda dialog: dialog.accept("Remplacée par la téléprocédure"))
    page.locator('#definitions tr[data-key="complaint_handling"]').get_by_role("button", name="Retirer…").click()
    expect(page.locator('#definitions tr[data-key="complaint_handling"]')).to_contain_text("Retirée")
    assert engine.get_definition("complaint_handling").withdrawn
    event = engine.admin_log(subject="process:complaint_handling").items[0]
    assert (event.type, event.actor, event.payload["reason"]) == ("definition_withdrawn", "nadia",
                                                                   "Remplacée par la téléprocédure")
    c = session_factory()
    clerk = c.login(users["clerk"])
    clerk.goto("/processes")
    expect(clerk.locator('#process-list tr[data-key="complaint_handling"]')).to_have_count(0)
    page.locator('#definitions tr[data-key="complaint_handling"]').get_by_role("button",
                                                                            name="Remettre en service").click()
    expect(page.locator('#definitions tr[data-key="complaint_handling"]')).to_contain_text("Publiée")
    s.assert_no_errors()


SIMPLE = (b'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
          b'<bpmn:process id="demande_simple" name="Demande simple" isExecutable="true"><bpmn:startEvent id="s"/>'
          b'<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
          b'<bpmn:userTask id="t" name="Traiter" camunda:candidateGroups="bureau_ordre"/>'
          b'<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>'
          b'</bpmn:definitions>')


def test_a_taken_business_key_is_refused_on_the_start_page_naming_it(engine, session_factory, users):
    engine.deploy([("demande_simple.bpmn", SIMPLE)])
    first = engine.start("demande_simple", {}, business_key="DEM-2026-0001")
    c = session_factory()
    clerk = c.login(users["clerk"])
    clerk.goto("/processes/demande_simple/start")
    clerk.get_by_label("Référence du dossier (facultatif)").fill("DEM-2026-0001")
    clerk.get_by_role("button", name="Démarrer la procédure").click()
    expect(clerk.locator("#start-message")).to_contain_text("DEM-2026-0001")
    expect(clerk.locator("#start-message")).to_contain_text(first.id)
    assert engine.list_instances(definition_key="demande_simple").total == 1


def test_an_old_form_version_opens_read_only_and_is_republished(engine, session_factory, users):
    deploy_complaints(engine)
    import orjson

    schema = orjson.loads((ROOT / "forms" / "rec_validation.form").read_bytes())
    schema["components"] = schema["components"][:1]
    engine.deploy([("rec_validation.form", orjson.dumps(schema))])
    s = session_factory()
    page = s.login(users["designer"])
    page.goto("/designer")
    page.locator('#forms li[data-key="rec_validation"] .tag', has_text="v1").click()
    expect(page.locator("body")).to_have_attribute("data-editor-ready", "true")
    expect(page.locator("#editor-message")).to_contain_text("Version 1 : lecture seule")
    with page.expect_download() as download:
        page.locator("#download-version").click()
    assert download.value.suggested_filename == "rec_validation-v1.form"
    page.get_by_role("button", name="Republier la version 1").click()
    expect(page.locator("body")).to_have_attribute("data-republished", "rec_validation:3")
    assert engine.form("rec_validation") == orjson.loads((ROOT / "forms" / "rec_validation.form").read_bytes())
    s.assert_no_errors()
