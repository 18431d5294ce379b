"""Clerk journeys of issue 15 (part B) in a real browser: claim-to-complete with an upload and its
download, a task of another service, delegation, comments, inbox filters and refresh, the SLA
dashboard with its exports, the access log as auditor. Screenshots also go to /tmp/shots-h7b/."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from engine import Actor, Engine, EngineSettings
from tests.conftest import FIXTURES, fixture_files, verify_every_instance

from .conftest import PASSWORD, USERS

SHOTS = Path("/tmp/shots-h7b")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
AMINA = Actor("amina", ("bureau_ordre", "clerks"), ("clerk",))
KARIM = Actor("karim", ("service_social",), ("clerk",))


@pytest.fixture
def engine(database_url, clock, connectors):
    """As the server runs: claim-to-complete on."""
    eng = Engine(settings=EngineSettings(database_url=database_url, require_claim=True, timezone="Africa/Casablanca"),
                 clock=clock, connectors=connectors)
    eng.deploy(fixture_files("clerk_work.bpmn", "pieces.form"))
    yield eng
    verify_every_instance(eng)
    eng.dispose()


@pytest.fixture
def more_users(web_app, users):
    store = web_app.extensions["diwan.users"]
    store.create_user("yasmine", PASSWORD, ["clerk"], ["bureau_ordre"])
    store.create_user("salwa", PASSWORD, ["clerk", "supervisor"], ["bureau_ordre"])
    return users


def shot(s, name, page=None):
    s.shot(f"h7b-{name}", page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (page or s.page).screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _case(engine, key, name="Fatima Zahra El Idrissi", actor=AMINA, **data):
    inst = engine.start("clerk_work", {"applicant_name": name, "email": "fz@example.org", **data}, business_key=key,
                        actor=actor)
    [task] = engine.list_tasks(see_all=True, instance_id=inst.id).items
    return inst, task


def test_claim_to_complete_with_an_upload_then_download(engine, session_factory, users, tmp_path):
    inst, task = _case(engine, "CW-2026-0001")
    s = session_factory()
    page = s.login(users["clerk"])
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    # Not claimed: the form is read-only and the page offers "Prendre et traiter"
    expect(page.locator("#claim")).to_have_text("Prendre et traiter")
    expect(page.locator("#claim-first")).to_be_visible()
    expect(page.locator("#submit-form")).to_have_count(0)
    shot(s, "task-before-claim")
    # An API completion without the claim is refused with a clear message (shown at the top)
    result = page.evaluate("window.diwanTask.complete({note: 'x'})")
    assert result["status"] == 409
    expect(page.locator("#task-message")).to_contain_text("Prenez d'abord la tâche en charge")
    expect(page.locator("#task-message")).to_be_focused()
    page.locator("#claim").click()
    page.wait_for_url(re.compile(rf"/tasks/{task.id}$"))
    expect(page.locator("#flash")).to_contain_text("Tâche prise en charge")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    expect(page.locator("#submit-form")).to_be_visible()
    # A file the field does not accept (a PNG named .pdf) is refused by the server, in view
    fake = tmp_path / "faux.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    picker = page.locator('.fjs-form-field-filepicker input[type="file"]').first
    picker.set_input_files(str(fake))
    page.get_by_label("Note").fill("Acte de naissance joint.")
    page.locator("#submit-form").click()
    expect(page.locator("#task-message")).to_contain_text("Fichier « faux.pdf » refusé : son contenu n'est pas d'un type accepté")
    expect(page.locator("#task-message")).to_be_focused()
    shot(s, "task-upload-refused")
    good = tmp_path / "acte de naissance.pdf"
    good.write_bytes(PDF)
    picker.set_input_files(str(good))
    page.locator("#submit-form").click()
    page.wait_for_url(re.compile(r"/tasks$"))
    expect(page.locator("#flash")).to_contain_text("terminée")
    shot(s, "inbox-after-complete")
    [done] = [e for e in engine.history(inst.id) if e.type == "task_completed"]
    [record] = done.payload["attachments"]
    assert record["filename"] == "acte de naissance.pdf" and record["size"] == len(PDF)
    # The case page lists the file; its download gives the bytes back; the history names it
    page.goto(f"/instances/{inst.id}")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    link = page.locator(f'#attachments a[data-attachment="{record["id"]}"]')
    expect(link).to_have_text("acte de naissance.pdf")
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == PDF
    expect(page.locator("#timeline li.event-task_completed ul.files")).to_contain_text("acte de naissance.pdf")
    shot(s, "case-with-attachment")
    [examine] = engine.list_tasks(see_all=True, instance_id=inst.id).items  # the next task lists the file
    page.goto(f"/tasks/{examine.id}")
    expect(page.locator("#task-attachments")).to_contain_text("acte de naissance.pdf")
    s.assert_no_errors()


def test_a_task_of_another_service_is_read_only(engine, session_factory, users):
    inst, task = _case(engine, "CW-2026-0002", actor=KARIM)  # karim started it: he may read it
    s = session_factory()
    page = s.login(users["clerk2"])
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    expect(page.locator("#foreign-task")).to_contain_text("proposée à un autre service")
    expect(page.locator("#claim")).to_have_count(0)
    expect(page.locator("#submit-form")).to_have_count(0)
    expect(page.get_by_label("Note")).not_to_be_editable()
    shot(s, "task-other-service")
    s.assert_no_errors()


def test_delegation_and_comments(engine, session_factory, more_users):
    inst, task = _case(engine, "CW-2026-0003")
    engine.claim(task.id, AMINA)
    s = session_factory()
    page = s.login("amina")
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("body")).to_have_attribute("data-comments-ready", "true")
    page.get_by_label("Ajouter un commentaire").fill("Pièce d'identité à vérifier auprès du consulat.")
    page.locator("#comment-send").click()
    expect(page.locator("#comments li.comment")).to_have_count(1)
    expect(page.locator("#task-message")).to_contain_text("Commentaire publié")
    page.locator("#reassign-to").select_option("yasmine")
    page.locator("#reassign").click()
    expect(page.locator("#flash")).to_contain_text("Tâche réattribuée à yasmine")
    expect(page.locator("#task-assignee")).to_contain_text("yasmine")
    expect(page.locator("#reassign-form")).to_have_count(0)  # no longer hers to hand over
    shot(s, "task-reassigned")
    # The supervisor of the service hands it back
    sup = session_factory()
    page2 = sup.login("salwa")
    page2.goto(f"/tasks/{task.id}")
    page2.locator("#reassign-to").select_option("amina")
    page2.locator("#reassign").click()
    expect(page2.locator("#flash")).to_contain_text("Tâche réattribuée à amina")
    # The case page shows the comment and the history the reassignments
    page.goto(f"/instances/{inst.id}")
    expect(page.locator("body")).to_have_attribute("data-comments-ready", "true")
    expect(page.locator("#comments li.comment")).to_contain_text("Pièce d'identité à vérifier")
    expect(page.locator("#timeline li.event-task_reassigned")).to_have_count(2)
    expect(page.locator("#timeline li.event-comment_added blockquote")).to_contain_text("Pièce d'identité")
    shot(s, "case-comments")
    events = [e for e in engine.history(inst.id) if e.type == "task_reassigned"]
    assert [(e.actor, e.payload["assignee"]) for e in events] == [("amina", "yasmine"), ("salwa", "amina")]
    s.assert_no_errors()
    sup.assert_no_errors()


def test_inbox_filters_search_and_refresh_notice(engine, session_factory, users, clock):
    _case(engine, "CW-2026-0010", "Fatima Zahra El Idrissi")
    clock.advance(timedelta(minutes=5))
    _case(engine, "REC-2026-0003", "Youssef Benali", email="y.benali@example.org")
    clock.advance(timedelta(hours=3))  # both are past their 2-hour due date
    _case(engine, "CW-2026-0011", "Salma Ait Lahcen")
    s = session_factory()
    page = s.login(users["clerk"])
    page.goto("/tasks?poll_ms=1000")
    expect(page.locator("#group-tasks tbody tr")).to_have_count(3)
    page.get_by_label("Rechercher (référence, nom ou courriel du demandeur)").fill("el idrissi")
    page.locator("#inbox-apply").click()
    expect(page.locator("#group-tasks tbody tr")).to_have_count(1)
    expect(page.locator("#group-tasks")).to_contain_text("CW-2026-0010")
    expect(page.locator("#inbox-found")).to_have_text("Tâches correspondant aux filtres : 1")
    shot(s, "inbox-search")
    page.locator("#inbox-q").fill("rec-2026")
    page.locator("#inbox-apply").click()
    expect(page.locator("#group-tasks")).to_contain_text("REC-2026-0003")
    page.locator("#inbox-q").fill("")
    page.locator("#inbox-due").select_option("overdue")
    page.locator("#inbox-sort").select_option("-created")
    page.locator("#inbox-apply").click()
    rows = page.locator("#group-tasks tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("REC-2026-0003")
    shot(s, "inbox-overdue-filter")
    # A new case arrives while the clerk types: a notice, no reload
    page.locator("#inbox-q").fill("en cours de saisie")
    _case(engine, "CW-2026-0012", "Nouveau dossier")
    expect(page.locator("#inbox-news")).to_be_visible(timeout=10_000)
    expect(page.locator("#inbox-q")).to_have_value("en cours de saisie")
    shot(s, "inbox-refresh-notice")
    s.assert_no_errors()


def test_dashboard_with_charts_and_exports(engine, session_factory, more_users, clock, tmp_path):
    for i, consulate in enumerate(["Lyon", "Lyon", "Bruxelles"]):
        inst, task = _case(engine, f"CW-2026-01{i}", consulate=consulate)
        if i == 0:
            engine.claim(task.id, AMINA)
            att = engine.add_attachment(task.id, "justificatif", "a.pdf", PDF, AMINA)
            clock.advance(timedelta(hours=1))
            engine.complete_task(task.id, {"justificatif": [att.id]}, actor=AMINA)
    clock.advance(timedelta(hours=5))
    s = session_factory()
    page = s.login("salwa")
    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.locator("body")).to_have_attribute("data-charts", "3")
    expect(page.locator("#volumes")).to_contain_text("Dossier avec pièces")
    expect(page.locator('#overdue-groups tr[data-group="bureau_ordre"]')).to_contain_text("2")
    expect(page.locator("#overdue-consulates")).to_contain_text("Lyon")
    expect(page.locator("#overdue-consulates")).to_contain_text("Bruxelles")
    shot(s, "dashboard")
    with page.expect_download() as csv_download:
        page.locator("#export-csv").click()
    raw = Path(csv_download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "Procédure;En cours;Terminées".encode() in raw
    with page.expect_download() as xlsx_download:
        page.locator("#export-xlsx").click()
    assert xlsx_download.value.suggested_filename == "tableau-de-bord-sla.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
    assert "Tâches en retard par consulat" in book.sheetnames
    s.assert_no_errors()
    clerk = session_factory()
    clerk.login("amina")
    clerk.page.goto("/dashboard")
    expect(clerk.page.locator("h1")).to_have_text("Accès refusé")


def test_access_log_as_auditor(engine, session_factory, users):
    inst, task = _case(engine, "CW-2026-0020")
    clerk = session_factory()
    page = clerk.login(users["clerk"])
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    page.goto(f"/instances/{inst.id}")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    auditor = session_factory()
    page2 = auditor.login(users["auditor"])
    page2.get_by_role("link", name="Journal des consultations").click()
    rows = page2.locator("#access-log tbody tr")
    expect(rows.first).to_be_visible()
    views = [r.get_attribute("data-view") for r in rows.all()]
    assert {"task_page", "case_page", "api_task", "api_instance"} <= set(views)
    page2.get_by_label("Utilisateur").fill("amina")
    page2.get_by_role("button", name="Filtrer").click()
    expect(page2.locator("#access-log tbody tr[data-actor=omar]")).to_have_count(0)
    expect(page2.locator("#access-log")).to_contain_text("Page du dossier")
    shot(auditor, "access-log")
    clerk.page.goto("/access-log")
    expect(clerk.page.locator("h1")).to_have_text("Accès refusé")
    clerk.assert_no_errors()
    auditor.assert_no_errors()
