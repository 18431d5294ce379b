"""The pages in French and Arabic (issue 15): no English left on any page (diwan's texts and the
bpmn.io libraries'), right to left in Arabic, the language remembered per user, labels instead
of codes, one time zone, pages usable at 375 px, the spreadsheet export for French Excel."""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from engine import Actor

from .conftest import COMPLAINT, PASSWORD, ROOT, deploy_complaints

# Words that only English has (French shares "Documentation", "Action", "Type", "Message"...).
ENGLISH = re.compile(r"\b(the|is|are|required|Select|Browse|Search|Build|Hit policy|When|Then|And|Append|Create|"
                     r"Delete|Cancel|Remove|Submit|Save|Field|Name|General|Inputs|Outputs|Assignee|Candidate|"
                     r"Due date|Forms|Add|Edit|Rules|Lane|Task|Gateway|Event|Start|End|Error|Conflict|Not found|"
                     r"Unknown|Invalid|Missing|must|claimed)\b")
# The libraries' own marks (their licence asks to keep them) and what designers wrote stay as they are.
ALLOWED = ("Powered by bpmn.io",)

CLERK_PAGES = ["/tasks", "/processes", "/instances"]
ADMIN_PAGES = ["/admin", "/admin/incidents", "/admin/instances", "/admin/users", "/admin/groups",
               "/admin/definitions", "/admin/migrations", "/admin/journal"]
DESIGNER_PAGES = ["/designer", "/modeler/complaint_handling", "/forms/rec_depot/edit",
                  "/decisions/lab_eligibility/edit", "/designer/new-diagram"]


def _prepared(engine, users):
    deploy_complaints(engine)
    engine.deploy([(f.name, f.read_bytes()) for f in [ROOT / "processes" / "bpmn" / "lab_eligibility.dmn"]])
    engine.save_group("bureau_ordre", "Bureau d'ordre")
    clerk = Actor(users["clerk"], ("bureau_ordre", "clerks"), ("clerk",))
    return engine.start("complaint_handling", dict(COMPLAINT), "REC-2026-0007", actor=clerk)


def _login(s, username: str, lang: str, width: int = 1440):
    page = s.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/login")
    if lang != "fr":
        page.locator(f'#language-switch button[value="{lang}"]').click()
        expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
    return page


def _settled(page):
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the last scripts' rendering


def _english_on(page) -> list[str]:
    text = page.evaluate("document.body.innerText + ' ' + Array.from(document.querySelectorAll("
                         "'[placeholder],[title],[aria-label]')).map(e => [e.getAttribute('placeholder'), "
                         "e.getAttribute('title'), e.getAttribute('aria-label')].filter(Boolean).join(' ')).join(' ')")
    for allowed in ALLOWED:
        text = text.replace(allowed, "")
    return sorted(set(m.group(0) for m in ENGLISH.finditer(text)))


def _open(page, path: str):
    if path == "/designer/new-diagram":  # a POST from the designer's index
        page.goto("/designer")
        page.locator("#new-diagram").click()
        page.wait_for_selector("body[data-imported^=ok]", state="attached")
    else:
        page.goto(path)
        if path.startswith("/modeler/"):
            page.wait_for_selector("body[data-imported^=ok]", state="attached")
        elif path.endswith("/edit"):
            page.wait_for_selector("body[data-editor-ready]", state="attached")
    _settled(page)


def _select_every_kind(page):
    """Select one element of each kind in the modeler, its properties panel groups opened."""
    kinds = page.evaluate("window.diwanModeler.get('elementRegistry').getAll().filter(e => e.type !== 'label')"
                          ".reduce((seen, e) => { seen[e.type] = seen[e.type] || e.id; return seen; }, {})")
    for element_id in kinds.values():
        page.evaluate("id => { const m = window.diwanModeler; m.get('selection').select(m.get('elementRegistry').get(id)); }",
                      element_id)
        page.evaluate("document.querySelectorAll('.bio-properties-panel-group-header:not(.open)').forEach(h => h.click())")
        page.wait_for_timeout(50)
    page.locator(".djs-context-pad .entry").first.hover()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_page__has_no_english(engine, session_factory, users, lang):
    instance = _prepared(engine, users)
    task = engine.list_tasks(see_all=True).items[0]
    s = session_factory()
    found = {}

    page = _login(s, users["admin"], lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    for path in CLERK_PAGES + ADMIN_PAGES + [f"/tasks/{task.id}", f"/instances/{instance.id}", "/nowhere"]:
        _open(page, path)
        found[path] = _english_on(page)
        s.shot(f"i18n-{lang}-{path.strip('/').replace('/', '_')[:40]}")
    page.goto(f"/instances/{instance.id}")
    page.locator("#verify").click()
    expect(page.locator("#verify-result")).to_have_attribute("data-chain-ok", "true")
    found["verify"] = _english_on(page)
    page.locator("#logout").click()

    page = _login(s, users["designer"], lang)
    for path in DESIGNER_PAGES:
        _open(page, path)
        if path.startswith("/modeler/") or path == "/designer/new-diagram":
            _select_every_kind(page)
            page.locator('.djs-palette .entry').first.hover()
        found[path] = _english_on(page)
        untranslated = page.evaluate("Array.from(window.diwanUntranslated || [])")
        assert not untranslated, f"{path}: bpmn.io texts without a {lang} entry: {untranslated}"
        s.shot(f"i18n-{lang}-{path.strip('/').replace('/', '_')[:40]}")
    page.locator("#logout").click()

    # The start form's own checks (form-js) in the page's language
    page = _login(s, users["clerk"], lang)
    page.goto("/processes/complaint_handling/start")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    page.locator("#submit-form").click()
    expect(page.locator(".fjs-form-field-error").first).to_have_text("Champ obligatoire." if lang == "fr" else "حقل إلزامي.")
    found["start form"] = _english_on(page)
    s.shot(f"i18n-{lang}-start-errors")

    assert {path: words for path, words in found.items() if words} == {}
    s.assert_no_errors()


def test_language__is_remembered_for_the_user(engine, session_factory, users):
    s = session_factory()
    page = _login(s, users["clerk"], "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.locator('#language-switch button[value="ar"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".site-nav")).to_contain_text("صندوق المهام")
    # Another browser (no cookie): the user's choice comes from their account
    other = session_factory()
    page = _login(other, users["clerk"], "fr")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#logout")).to_have_text("تسجيل الخروج")
    s.assert_no_errors()


def test_labels__not_codes(engine, session_factory, users):
    instance = _prepared(engine, users)
    s = session_factory()
    page = _login(s, users["clerk"], "fr")
    row = page.locator("#group-tasks tbody tr").first
    expect(row.locator("td.reference")).to_have_text("REC-2026-0007")  # the case's reference, no hex id
    expect(row).to_contain_text("Bureau d'ordre")  # the group's display name
    expect(row).not_to_contain_text("bureau_ordre")
    assert instance.id[:8] not in row.inner_text()

    page.goto(f"/instances/{instance.id}")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator("h1")).to_contain_text("REC-2026-0007")
    data = page.locator("#case-data")
    expect(data).to_contain_text("Catégorie")  # the form's label, not the variable `category`
    expect(data).to_contain_text("Service consulaire")  # the choice's label, not `consular_service`
    expect(data).not_to_contain_text("consular_service")
    expect(page.locator("#timeline li.event").first.locator(".diff")).to_contain_text("Service consulaire")
    s.assert_no_errors()


def test_times__one_zone_on_every_part_of_a_page(engine, session_factory, users):
    instance = _prepared(engine, users)
    s = session_factory()
    page = _login(s, users["auditor"], "fr")
    page.goto(f"/instances/{instance.id}")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator("#timezone")).to_contain_text("Africa/Casablanca")
    created = re.search(r"Créé le (\d\d/\d\d/\d{4} \d\d:\d\d)", page.locator(".meta").inner_text()).group(1)
    first_event = page.locator("#timeline li.event .event-meta").first.inner_text()
    assert first_event.startswith(created), (created, first_event)  # the header and the timeline agree
    s.assert_no_errors()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_pages__fit_375_px(engine, session_factory, users, lang):
    instance = _prepared(engine, users)
    s = session_factory()
    page = _login(s, users["admin"], lang, width=375)
    wide = {}
    for path in CLERK_PAGES + ADMIN_PAGES + [f"/instances/{instance.id}"]:
        page.goto(path)
        _settled(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            wide[path] = overflow
    assert wide == {}
    page.locator("#logout").click()
    page = _login(s, users["designer"], lang, width=375)
    for path in ["/designer", "/modeler/complaint_handling", "/forms/rec_depot/edit"]:
        _open(page, path)
        s.shot(f"i18n-375-{lang}-{path.strip('/').replace('/', '_')}")
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0, path
    s.assert_no_errors()  # no "SVGMatrix" error from a modeler squeezed to nothing


def test_server_messages__said_in_french(engine, session_factory, users):
    _prepared(engine, users)
    task = engine.list_tasks(see_all=True).items[0]
    s = session_factory()
    page = _login(s, users["clerk"], "fr")
    expect(page.locator("body[data-inbox-ready=true]")).to_have_count(1)
    engine.claim(task.id, Actor("collegue", ("bureau_ordre",), ("clerk",)))  # taken meanwhile
    page.locator(f'[data-claim="{task.id}"]').click()
    expect(page.locator("#inbox-error")).to_have_text("Conflit : la tâche est prise en charge par collegue")
    s.assert_no_errors()


def test_csv_export__for_french_excel(engine, session_factory, users):
    instance = _prepared(engine, users)
    s = session_factory()
    page = _login(s, users["auditor"], "fr")
    page.goto(f"/instances/{instance.id}")
    with page.expect_download() as download:
        page.locator("#csv").click()
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["N°", "Date", "Événement", "Par", "Étape", "Détail", "Empreinte précédente", "Empreinte"]
    assert rows[1][2] == "Dossier ouvert" and re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", rows[1][1])
    assert "Catégorie : Service consulaire" in rows[1][5] and "{" not in text
    assert len(rows) == len(engine.history(instance.id)) + 1
    s.assert_no_errors()
