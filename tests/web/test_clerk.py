"""The clerk's journey: start a complaint from its start form, the inbox, claim, the task
page (form, diagram, case data, history), server-side field errors, completion."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from engine import Actor

from .conftest import COMPLAINT, deploy_complaints


def test_clerk_starts_claims_and_completes(engine, session_factory, users):
    deploy_complaints(engine)
    clerk = Actor(users["clerk"], ("bureau_ordre", "clerks"), ("clerk",))
    late = engine.start("complaint_handling", dict(COMPLAINT, applicant_name="Ancien dossier"), "REC-OLD", actor=clerk)
    engine.advance_clock(to=engine.clock.now() + timedelta(days=3))  # its 48 h deadline passes
    s = session_factory()
    page = s.login(users["clerk"])
    expect(page).to_have_url(re.compile(r"/tasks$"))

    # Start a complaint from its start form
    page.get_by_role("link", name="Procédures").click()
    s.shot("processes-list")
    page.locator('tr[data-key="complaint_handling"]').get_by_role("link", name="Démarrer").click()
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    page.get_by_label("Référence du dossier").fill("REC-2026-0042")
    page.get_by_role("button", name="Démarrer la procédure").click()  # empty: the form's own checks
    expect(page.locator(".fjs-form-field-error").first).to_be_visible()
    s.shot("start-form-errors")
    page.get_by_label("Nom et prénom").fill(COMPLAINT["applicant_name"])
    page.get_by_label("N° de CIN").fill(COMPLAINT["id_number"])
    page.get_by_label("Pays de résidence").fill(COMPLAINT["country_of_residence"])
    page.get_by_label("Consulat de rattachement").fill(COMPLAINT["consulate"])
    page.get_by_label("Adresse électronique").fill(COMPLAINT["email"])
    page.locator(".fjs-form-field-select", has_text="Catégorie").locator(".fjs-select-display").click()
    page.locator(".fjs-dropdownlist-item", has_text="Service consulaire").click()
    page.get_by_label("Description de la réclamation").fill(COMPLAINT["description"])
    s.shot("start-form-filled")
    page.get_by_role("button", name="Démarrer la procédure").click()
    expect(page.locator("#start-message")).to_contain_text("Dossier créé")
    page.wait_for_url(re.compile(r"/tasks$"))
    expect(page.locator("#flash")).to_contain_text("Dossier créé : réf. REC-2026-0042")

    # The inbox: overdue first, counts per process
    rows = page.locator("#group-tasks tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_class(re.compile("overdue"))
    expect(rows.first).to_contain_text("en retard")
    expect(page.locator('.chip[data-process="complaint_handling"] .count')).to_have_text("2")
    s.shot("inbox")
    page.locator('.chip[data-process="complaint_handling"]').click()
    expect(page).to_have_url(re.compile(r"process=complaint_handling"))

    # Claim the new one (the second row), then unclaim and claim again
    # (each click reloads the page: wait for its script before the next click)
    inbox_ready = page.locator("body[data-inbox-ready=true]")
    new_task = rows.nth(1).get_attribute("data-task-id")
    expect(inbox_ready).to_have_count(1)
    page.locator(f'[data-claim="{new_task}"]').click()  # "Prendre et traiter": claimed, then its page
    page.wait_for_url(re.compile(rf"/tasks/{new_task}$"))
    expect(page.locator("#flash")).to_contain_text("Tâche prise en charge")
    page.goto("/tasks?process=complaint_handling")
    expect(page.locator(f'#my-tasks tr[data-task-id="{new_task}"]')).to_be_visible()
    expect(inbox_ready).to_have_count(1)
    page.locator(f'[data-unclaim="{new_task}"]').click()
    expect(page.locator(f'#group-tasks tr[data-task-id="{new_task}"]')).to_be_visible()
    expect(inbox_ready).to_have_count(1)
    page.locator(f'[data-claim="{new_task}"]').click()
    page.wait_for_url(re.compile(rf"/tasks/{new_task}$"))
    page.goto("/tasks?process=complaint_handling")
    expect(page.locator("#my-tasks tbody tr")).to_have_count(1)

    # The task page
    page.locator(f'#my-tasks tr[data-task-id="{new_task}"]').get_by_role("link", name="Ouvrir").click()
    expect(page.locator("body")).to_have_attribute("data-form-ready", "true")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    expect(page.get_by_label("Requérant")).to_have_value(COMPLAINT["applicant_name"])
    expect(page.locator('.djs-element.dw-active[data-element-id="qualifier_reclamation"]')).to_have_count(1)
    expect(page.locator("#case-data")).to_contain_text(COMPLAINT["email"])
    expect(page.locator("#history li.event").first).to_contain_text("Dossier ouvert")
    s.shot("task")

    # Server-side validation: data the browser form would not send, errors shown on the fields
    result = page.evaluate("window.diwanTask.complete({category: 'nope'})")
    assert result["status"] == 422
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator(".fjs-form-field-error").first).to_be_visible()
    expect(page.locator("#task-message")).to_contain_text("erreurs")
    s.shot("task-server-errors")

    # Complete it
    page.get_by_label("Recevable", exact=True).check()
    page.get_by_role("button", name="Valider la tâche").click()
    expect(page.locator("#task-message")).to_contain_text("Tâche terminée")
    page.wait_for_url(re.compile(r"/tasks$"))
    expect(page.locator(f'tr[data-task-id="{new_task}"]')).to_have_count(0)
    started = engine.list_instances(business_key="REC-2026-0042").items[0]
    assert "qualifier_reclamation" not in started.active_elements
    assert started.data["admissibility"] == "admissible"

    # The clerk reads the instance page (no auditor tools)
    page.goto(f"/instances/{late.id}")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator("#verify")).to_have_count(0)
    s.assert_no_errors()
