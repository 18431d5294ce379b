"""The auditor's journey: search instances, the instance page (coloured diagram, timeline
with data diffs), time travel with the step slider, verification, CSV export."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from engine import Actor

from .conftest import COMPLAINT, deploy_complaints


def test_auditor_searches_travels_verifies_exports(engine, session_factory, users):
    deploy_complaints(engine)
    clerk = Actor(users["clerk"], ("bureau_ordre",), ("clerk",))
    inst = engine.start("complaint_handling", COMPLAINT, "REC-2026-0100", actor=clerk)
    engine.start("complaint_handling", dict(COMPLAINT, applicant_name="Autre requérant"), "REC-2026-0101", actor=clerk)
    task = engine.list_tasks(see_all=True, instance_id=inst.id).items[0]
    engine.claim(task.id, clerk)
    engine.complete_task(task.id, {"category": "consular_service", "admissibility": "admissible"}, actor=clerk)
    events = engine.history(inst.id)

    s = session_factory()
    page = s.login(users["auditor"])
    expect(page).to_have_url(re.compile(r"/instances$"))
    expect(page.locator("#instances tbody tr")).to_have_count(2)
    page.get_by_label("Référence").fill("REC-2026-0100")
    page.get_by_label("Statut").select_option("running")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#instances tbody tr")).to_have_count(1)
    s.shot("instances-search")
    page.locator("#instances").get_by_role("link").first.click()

    # The instance page
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator('.djs-element.dw-done[data-element-id="qualifier_reclamation"]')).to_have_count(1)
    active = engine.get_instance(inst.id).active_elements
    expect(page.locator(f'.djs-element.dw-active[data-element-id="{active[0]}"]')).to_have_count(1)
    expect(page.locator("#timeline li.event")).to_have_count(len(events))
    completed = page.locator("#timeline li.event-task_completed")
    expect(completed.locator(".diff")).to_contain_text("Recevabilité : Recevable")  # labels, not codes
    expect(completed.locator(".event-meta")).to_contain_text(users["clerk"])
    s.shot("instance")

    # Time travel: back to the first event, then to the task's creation
    slider = page.locator("#step")
    expect(slider).to_be_enabled()
    slider.fill("1")
    expect(page.locator("body")).to_have_attribute("data-step", "1")
    expect(page.locator(".djs-element.dw-done[data-element-id='qualifier_reclamation']")).to_have_count(0)
    ready = next(e.seq for e in events if e.type == "task_ready" and e.element_id == "qualifier_reclamation")
    page.locator(f'#timeline li.event[data-seq="{ready}"]').click()
    expect(page.locator("body")).to_have_attribute("data-step", str(ready))
    expect(page.locator('.djs-element.dw-active[data-element-id="qualifier_reclamation"]')).to_have_count(1)
    expect(page.locator("#case-data")).not_to_contain_text("Recevabilité")
    s.shot("instance-time-travel")

    # Verification, CSV export
    page.get_by_role("button", name="Vérifier l'intégrité").click()
    expect(page.locator("#verify-result")).to_contain_text("Intégrité vérifiée")
    expect(page.locator("#verify-result")).to_have_attribute("data-chain-ok", "true")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter l'historique (CSV)").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()  # the web export is for French Excel
    assert text.splitlines()[0].startswith("N°;Date;Événement;Par") and len(text.splitlines()) == len(events) + 1
    s.shot("instance-verified")
    s.assert_no_errors()
