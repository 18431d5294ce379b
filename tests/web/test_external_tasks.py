"""The auditor's instance page shows what an external worker did: the step done on the diagram,
the timeline in French with the worker's data changes."""
from __future__ import annotations

from playwright.sync_api import expect

from engine import Actor, FetchAndLock, TopicRequest
from tests.conftest import fixture_files

ROBOT = Actor("robot", roles=("worker",))


def test_auditor_sees_the_external_task_and_the_workers_changes(engine, session_factory, users):
    engine.deploy(fixture_files("external_tasks.bpmn"))
    inst = engine.start("document_check", {"urgency": 2})
    [task] = engine.fetch_and_lock(FetchAndLock(ROBOT, "registre-consulaire", 1,
                                                (TopicRequest("check_documents", 60_000),)))
    engine.complete_external_task(task.id, "registre-consulaire", {"documents_ok": True}, actor=ROBOT)

    s = session_factory()
    page = s.login(users["auditor"])
    page.goto(f"/instances/{inst.id}")
    expect(page.locator("body")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator('.djs-element.dw-done[data-element-id="check"]')).to_have_count(1)
    expect(page.locator('.djs-element.dw-active[data-element-id="review"]')).to_have_count(1)
    created = page.locator("#timeline li.event-external_task_created")
    expect(created).to_contain_text("Tâche externe en attente")
    completed = page.locator("#timeline li.event-external_task_completed")
    expect(completed).to_contain_text("Tâche externe terminée")
    expect(completed.locator(".diff")).to_contain_text("documents_ok")
    expect(completed.locator(".event-meta")).to_contain_text("robot")
    expect(page.locator("#case-data")).to_contain_text("documents_ok")
    s.shot("instance-external-task")
    s.assert_no_errors()
