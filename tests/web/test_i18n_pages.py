"""Every clerk, auditor, admin and designer page in French and Arabic (issue 15): no English word
on any page (the case page with a comment and an attachment, the inbox with its filters open,
the dashboard, the access log included), no French word of diwan's own texts left on an Arabic
page (the designers' texts, French data, are taken out first); multi-instance tasks told apart
by their item; claim-to-complete's messages. Screenshots of each page (1440 and 375 px, both
languages) go to test-artifacts/web/ and /tmp/h15-shots/."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import expect

from engine import Actor, Engine, EngineSettings
from tests.conftest import fixture_files, verify_every_instance

from .conftest import COMPLAINT, PASSWORD, ROOT
from .test_i18n import ENGLISH, _english_on, _login, _open, _settled

SHOTS = Path("/tmp/h15-shots")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
AMINA = Actor("amina", ("bureau_ordre", "clerks"), ("clerk",))
KARIM = Actor("karim", ("service_social",), ("clerk",))
COMMENT = "Pièce d'identité reçue, à vérifier avec le consulat."

# Common words of diwan's own French texts: none may be left on an Arabic page.
FRENCH = re.compile(
    r"(?<![\w'’])(Dossiers?|dossiers?|Tâches?|tâches?|Valider|Enregistrer|Commentaires?|commentaire|Pièces?|jointes?|"
    r"Rechercher|Filtrer|Trier|Réattribuer|Prendre|charge|Procédures?|Échéance|échéance|Libérer|Ouvrir|Publier|"
    r"Annuler|Supprimer|Ajouter|Modifier|Historique|Utilisateurs?|Groupes?|Aucune?|Vérifier|Exporter|Formulaire|"
    r"Schéma|Données|Étapes?|Créée?|Terminée?|Brouillon|Connexion|Retour|Suivantes|Précédentes|Consultations?|"
    r"Journal|Tableau|Corbeille|Service|Tous|Toutes|Oui|Non|octets|déposée|Réattribuer|Effacer|"
    r"le|la|les|des|du|une?|et|pour|par|sur|avec|dans|est|sont|aux?|en)(?![\w'’])")

CONSULATES_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="avis_consulats" name="Avis des consulats" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="avis" />
    <bpmn:userTask id="avis" name="Donner l'avis du consulat" camunda:candidateGroups="service_social" camunda:formKey="avis_consulat">
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="${consulates}" camunda:elementVariable="consulate" />
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="avis" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""
CONSULATES_FORM = json.dumps({"id": "avis_consulat", "type": "default", "schemaVersion": 16, "components": [
    {"type": "select", "key": "consulate", "label": "Consulat", "values": [
        {"value": "lyon", "label": "Consulat général à Lyon"}, {"value": "madrid", "label": "Consulat général à Madrid"}]},
    {"type": "textfield", "key": "avis", "label": "Avis"}]}).encode()


@pytest.fixture
def engine(database_url, clock, connectors):
    """As the server runs: claim-to-complete on (the default)."""
    eng = Engine(settings=EngineSettings(database_url=database_url, timezone="Africa/Casablanca"),
                 clock=clock, connectors=connectors)
    assert eng.settings.require_claim
    yield eng
    verify_every_instance(eng)
    eng.dispose()


def _sources() -> list[tuple[str, bytes]]:
    bpmn = ROOT / "processes" / "bpmn"
    files = [bpmn / "complaint_handling.bpmn", bpmn / "lab_eligibility.dmn", *sorted((ROOT / "forms").glob("rec_*.form"))]
    return [(f.name, f.read_bytes()) for f in files] + fixture_files("clerk_work.bpmn", "pieces.form") + [
        ("avis_consulats.bpmn", CONSULATES_BPMN), ("avis_consulat.form", CONSULATES_FORM)]


def _data_texts(sources, *more: str) -> list[str]:
    """The designers' and applicants' own texts (French data, not diwan's): every name,
    documentation and DMN text of the diagrams, every string of the forms, the case data."""
    texts: set[str] = set(more)
    for name, body in sources:
        if name.endswith(".form"):
            def strings(node):
                if isinstance(node, dict):
                    for v in node.values():
                        yield from strings(v)
                elif isinstance(node, list):
                    for v in node:
                        yield from strings(v)
                elif isinstance(node, str):
                    yield node
            for s in strings(json.loads(body)):
                texts.update(re.sub(r"[#*_`>]", "", line).strip() for line in s.splitlines())
            continue
        for node in etree.fromstring(body).iter():
            if not isinstance(node.tag, str):
                continue
            for attribute in ("name", "label"):
                if node.get(attribute):
                    texts.add(node.get(attribute))
            if node.text and node.text.strip() and etree.QName(node).localname in ("documentation", "text", "description"):
                texts.update(line.strip() for line in node.text.splitlines())
    texts.update(str(v) for v in COMPLAINT.values())
    return sorted((" ".join(t.split()) for t in texts if t and t.strip()), key=len, reverse=True)


def _page_text(page) -> str:
    return page.evaluate("document.body.innerText + ' ' + Array.from(document.querySelectorAll("
                         "'[placeholder],[title],[aria-label]')).map(e => [e.getAttribute('placeholder'), "
                         "e.getAttribute('title'), e.getAttribute('aria-label')].filter(Boolean).join(' ')).join(' ')")


def _french_on(page, data: list[str]) -> list[str]:
    text = " ".join(_page_text(page).split())
    for t in data:
        text = text.replace(t, " ")
    text = text.replace("Powered by bpmn.io", " ")
    return sorted({m.group(0) for m in FRENCH.finditer(text)})


def _shot(s, name: str):
    s.shot(f"h15-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    s.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _seed(engine):
    engine.deploy(_sources())
    engine.save_group("bureau_ordre", "Bureau d'ordre")
    engine.save_group("service_social", "Service social")
    complaint = engine.start("complaint_handling", dict(COMPLAINT), "REC-2026-0007", actor=AMINA)
    case = engine.start("clerk_work", {"applicant_name": "Fatima Zahra El Idrissi", "email": "fz@example.org"},
                        business_key="CW-2026-0001", actor=AMINA)
    [joindre] = engine.list_tasks(see_all=True, instance_id=case.id).items
    engine.claim(joindre.id, AMINA)
    record = engine.add_attachment(joindre.id, "justificatif", "acte de naissance.pdf", PDF, AMINA)
    engine.complete_task(joindre.id, {"justificatif": [record.id], "note": "Acte joint."}, actor=AMINA)
    engine.add_comment(case.id, COMMENT, AMINA)
    [examine] = engine.list_tasks(see_all=True, instance_id=case.id).items
    advice = engine.start("avis_consulats", {"consulates": ["lyon", "madrid"]}, business_key="AC-2026-0001",
                          actor=KARIM)
    return {"complaint": complaint, "case": case, "examine": examine, "advice": advice}


def _pages(seeded) -> dict[str, list[str]]:
    case, examine = seeded["case"], seeded["examine"]
    return {
        "clerk": ["/tasks", "/tasks?q=Idrissi&group=bureau_ordre&sort=-created", f"/tasks/{examine.id}", "/processes",
                  "/processes/complaint_handling/start", "/instances", f"/instances/{case.id}"],
        "auditor": ["/instances", f"/instances/{case.id}", "/access-log", "/admin/journal"],
        "admin": ["/admin", "/admin/incidents", "/admin/instances", "/admin/users", "/admin/groups",
                  "/admin/definitions", "/admin/migrations", "/dashboard", "/access-log", f"/tasks/{examine.id}"],
        "designer": ["/designer", "/modeler/complaint_handling", "/forms/rec_depot/edit",
                     "/decisions/lab_eligibility/edit", "/designer/new-diagram"],
    }


def _name(path: str) -> str:
    path = re.sub(r"^/tasks/[^/?]+$", "task", re.sub(r"^/instances/[^/?]+$", "case", path))
    return re.sub(r"[^\w-]+", "_", path.strip("/"))[:40] or "home"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_page__no_english_and_in_arabic_no_french(engine, session_factory, users, web_app, lang):
    seeded = _seed(engine)
    data = _data_texts(_sources(), COMMENT, "Acte joint.", "acte de naissance.pdf", "Bureau d'ordre", "Service social",
                       "Consulat général à Lyon", "Consulat général à Madrid")
    english, french = {}, {}
    for role, paths in _pages(seeded).items():
        s = session_factory()
        page = _login(s, users[role], lang)
        for path in paths:
            _open(page, path)
            if path.startswith("/instances/"):
                expect(page.locator("body")).to_have_attribute("data-comments-ready", "true")
                expect(page.locator("#comments")).to_contain_text(COMMENT)
                expect(page.locator("#attachments")).to_contain_text("acte de naissance.pdf")
            if path.startswith("/tasks?"):
                expect(page.locator("#inbox-reset")).to_be_visible()  # the filters are open
            english[f"{role} {path}"] = _english_on(page)
            if lang == "ar":
                french[f"{role} {path}"] = _french_on(page, data)
            _shot(s, f"{lang}-1440-{role}-{_name(path)}")
        page.set_viewport_size({"width": 375, "height": 800})
        for path in paths:
            if path.startswith(("/modeler/", "/forms/", "/decisions/", "/designer/new")):
                continue  # the editors at 375 px: tests/web/test_i18n.py
            _open(page, path)
            _shot(s, f"{lang}-375-{role}-{_name(path)}")
        s.assert_no_errors()
        s.close()
    assert {k: v for k, v in english.items() if v} == {}
    assert {k: v for k, v in french.items() if v} == {}


def test_french_word_check__finds_diwan_texts_and_spares_data():
    class Page:
        def __init__(self, text):
            self.text = text

        def evaluate(self, script):
            return self.text

    data = _data_texts(_sources())
    assert _french_on(Page("صندوق المهام Dossier REC-2026-0007"), data) == ["Dossier"]
    assert _french_on(Page("معالجة الشكايات Réclamation déposée amina"), data) == []  # a BPMN name: data
    assert ENGLISH.search("the task") and not ENGLISH.search("المهمة")


def test_multi_instance_tasks__told_apart_by_their_item(engine, session_factory, users, web_app):
    engine.deploy(_sources() + fixture_files("multi_instance.bpmn"))
    engine.start("avis_consulats", {"consulates": ["lyon", "madrid"]}, business_key="AC-2026-0001", actor=KARIM)
    engine.start("multi_instance", {"children": [{"child_name": "Yasmine Benali", "child_age": 9},
                                                 {"child_name": "Adam Benali", "child_age": 15}]},
                 business_key="RET-2026-0001", actor=KARIM)
    s = session_factory()
    page = s.login(users["clerk2"])
    page.goto("/tasks")
    links = page.locator("#group-tasks a.task-link")
    texts = sorted(links.all_inner_texts())
    assert texts == ["Donner l'avis du consulat — Consulat général à Lyon",  # the enum's label, not `lyon`
                     "Donner l'avis du consulat — Consulat général à Madrid",
                     "Inscrire l'enfant — Adam Benali", "Inscrire l'enfant — Yasmine Benali"], texts
    page.locator("#group-tasks a.task-link", has_text="Madrid").click()
    expect(page.locator("#task-item")).to_have_text("— Consulat général à Madrid")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    # A diagram without drawing (no BPMN DI): said in French, and the history is still there
    expect(page.locator("#task-message")).to_have_text("Schéma indisponible : la procédure n'a pas de dessin")
    expect(page.locator("#history li.event").first).to_contain_text("Dossier ouvert")
    _shot(s, "fr-1440-multi-instance-inbox")
    s.assert_no_errors()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_claim_to_complete__messages_in_the_page_language(engine, session_factory, users, web_app, lang):
    store = web_app.extensions["diwan.users"]
    store.create_user("yasmine", PASSWORD, ["clerk"], ["bureau_ordre"])
    engine.deploy(_sources())
    case = engine.start("clerk_work", {"applicant_name": "Fatima Zahra El Idrissi", "email": "fz@example.org"},
                        business_key="CW-2026-0009", actor=AMINA)
    [task] = engine.list_tasks(see_all=True, instance_id=case.id).items
    ar = lang == "ar"
    s = session_factory()
    # A colleague holds the task: no claim button, the form read-only, who holds it said
    engine.claim(task.id, Actor("yasmine", ("bureau_ordre",), ("clerk",)))
    page = _login(s, users["clerk"], lang)
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    expect(page.locator("#held-elsewhere")).to_contain_text("yasmine")
    expect(page.locator("#claim")).to_have_count(0)
    expect(page.locator("#submit-form")).to_have_count(0)
    expect(page.locator(".fjs-form-field-textfield input").first).not_to_be_editable()
    engine.unclaim(task.id, Actor("yasmine", ("bureau_ordre",), ("clerk",)))
    # Claimed here: the success message on the task page, then the form's errors brought into view
    page.goto("/tasks")
    page.locator(f'#group-tasks [data-claim="{task.id}"]').click()
    page.wait_for_url(re.compile(rf"/tasks/{task.id}$"))
    expect(page.locator("#flash")).to_have_text("تم التكفل بالمهمة: يمكنك معالجتها." if ar
                                                else "Tâche prise en charge : vous pouvez la traiter.")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    page.set_viewport_size({"width": 375, "height": 640})
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#submit-form").click()  # the required file is missing
    expect(page.locator("#task-message")).to_have_text(
        "تتضمن الاستمارة أخطاء: صحّح الحقول المشار إليها." if ar
        else "Le formulaire contient des erreurs : corrigez les champs signalés.")
    expect(page.locator("body")).to_have_attribute("data-error-shown", re.compile(".+"))
    error = page.locator(".fjs-form-field-error").first
    expect(error).to_be_in_viewport()
    _shot(s, f"{lang}-375-clerk-form-errors")
    page.set_viewport_size({"width": 1440, "height": 900})
    # Completed: the message on the inbox
    page.locator('.fjs-form-field-filepicker input[type="file"]').first.set_input_files(
        files=[{"name": "acte.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.locator("#submit-form").click()
    page.wait_for_url(re.compile(r"/tasks$"))
    expect(page.locator("#flash")).to_have_text("أُنجزت المهمة «Joindre les pièces»." if ar
                                                else "Tâche « Joindre les pièces » terminée.")
    # Started: the message on the inbox
    page.goto("/processes/clerk_work/start")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    page.locator("#business-key").fill("CW-2026-0010")
    page.locator("#start-without-form").click()
    page.wait_for_url(re.compile(r"/tasks$"))
    expect(page.locator("#flash")).to_have_text("أُنشئ الملف: المرجع CW-2026-0010." if ar
                                                else "Dossier créé : réf. CW-2026-0010.")
    _shot(s, f"{lang}-1440-clerk-after-start")
    s.assert_no_errors()
