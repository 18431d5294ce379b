"""Time travel on fixtures the seed processes do not cover: external tasks, timers, loops."""
from __future__ import annotations

from datetime import timedelta

from engine import Actor, FetchAndLock, TopicRequest
from tests.conftest import fixture_files
from tests.processes.time_travel_checks import check_time_travel

WORKER = Actor("robot", roles=("worker",))


def test_time_travel__external_task_active_until_the_worker_reports(engine):
    engine.deploy(fixture_files("external_tasks.bpmn"))
    inst = engine.start("document_check", {"urgency": 1})
    [task] = engine.fetch_and_lock(FetchAndLock(WORKER, "w1", 1, (TopicRequest("check_documents", 60_000),)),
                                   wait_seconds=0)
    engine.complete_external_task(task.id, "w1", {"documents_ok": True}, actor=WORKER)
    pictures = check_time_travel(engine, inst.id)
    reported = next(p for p, e in zip(pictures, engine.history(inst.id)) if e.type == "external_task_completed")
    assert task.element_id not in reported["active_elements"]
    assert reported["completed_elements"].get(task.element_id) == 1
    assert pictures[-1]["active_elements"] == ["review"]


def test_time_travel__loops_boundary_timer_cycles_and_timer_chains(engine):
    engine.deploy(fixture_files("timers.bpmn", "loop.bpmn"))
    loop = engine.start("loop", {"count": 0, "limit": 3})
    for _ in range(3):
        [t] = engine.list_tasks(see_all=True, instance_id=loop.id).items
        engine.complete_task(t.id, {})
    pictures = check_time_travel(engine, loop.id)
    assert pictures[-1]["status"] == "completed"
    reminders = engine.start("reminders", {"reminders": []})
    chain = engine.start("chain", {})
    engine.advance_clock(by=timedelta(hours=4))
    pictures = check_time_travel(engine, reminders.id)
    assert pictures[-1]["completed_elements"]["count"] == 3  # three reminders, the task still open
    assert "f2" not in pictures[-1]["taken_flows"] and "f_r" in pictures[-1]["taken_flows"]
    assert pictures[-1]["active_elements"] == engine.get_instance(reminders.id).active_elements
    assert check_time_travel(engine, chain.id)[-1]["taken_flows"] == ["c1", "c2", "c3", "c4", "c5"]


