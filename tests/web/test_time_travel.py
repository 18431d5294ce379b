"""Time travel in the browser colours what the history took: REC-2026-0003, approved without
revision, never shows the "À réviser" loop, and "Instruire (consulaire)" is in progress only
from the event its task became ready."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from engine import SYSTEM

from tests.processes.test_complaint_handling import DRAFT, READY as NOTES

from .conftest import COMPLAINT, deploy_complaints

SHOTS = Path("/tmp/shots-h7b")



def test_time_travel_colours_only_the_flows_the_history_took(engine, session_factory, users):
    deploy_complaints(engine)
    inst = engine.start("complaint_handling", COMPLAINT, "REC-2026-0003", actor=SYSTEM)

    def complete(element, data):
        [task] = [t for t in engine.list_tasks(see_all=True, instance_id=inst.id).items if t.element_id == element]
        engine.complete_task(task.id, data, actor=SYSTEM)

    complete("qualifier_reclamation", {"category": "consular_service", "admissibility": "admissible"})
    complete("instruire_consulaire", NOTES)
    complete("rediger_consulaire", {"draft_answer": DRAFT})
    complete("valider_reponse", {"decision": "approve"})
    events = engine.history(inst.id)
    ready = next(e.seq for e in events if e.type == "task_ready" and e.element_id == "instruire_consulaire")

    s = session_factory()
    page = s.login(users["auditor"])
    page.goto(f"/instances/{inst.id}")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    done_flows = page.locator(".djs-connection.dw-done")
    expect(done_flows).to_have_count(len(engine.state_at(inst.id, events[-1].seq)["taken_flows"]))
    expect(page.locator('.djs-connection.dw-done[data-element-id="f_approuvee"]')).to_have_count(1)
    expect(page.locator('.djs-connection.dw-done[data-element-id="f_a_reviser"]')).to_have_count(0)
    # One step before its task was ready, "Instruire (consulaire)" is not in progress
    page.locator(f'#timeline li.event[data-seq="{ready - 1}"]').click()
    expect(page.locator("body")).to_have_attribute("data-step", str(ready - 1))
    expect(page.locator('.djs-element.dw-active[data-element-id="instruire_consulaire"]')).to_have_count(0)
    expect(page.locator('.djs-connection.dw-done[data-element-id="f_vers_consulaire"]')).to_have_count(1)
    page.locator(f'#timeline li.event[data-seq="{ready}"]').click()
    expect(page.locator("body")).to_have_attribute("data-step", str(ready))
    expect(page.locator('.djs-element.dw-active[data-element-id="instruire_consulaire"]')).to_have_count(1)
    expect(page.locator('.djs-connection.dw-done[data-element-id="f_a_reviser"]')).to_have_count(0)
    s.shot("h7b-time-travel")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "time-travel.png"), full_page=True)
    s.assert_no_errors()
