"""External tasks in the engine: a service task whose topic names no connector waits for a worker;
fetch and lock, complete, failures and their incident, BPMN errors, locks, long polling, replay."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from engine import (Actor, Conflict, Engine, EngineSettings, FetchAndLock, InvalidData, ManualClock, NotFound,
                    ScriptError, TopicRequest)
from tests.conftest import fixture_files

UTC = timezone.utc
WORKER = Actor("robot", roles=("worker",))
CLERK = Actor("amina", groups=("clerks",), roles=("clerk",))


@pytest.fixture
def wall():
    return ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
def ext(engine, wall):
    """The engine with the external-task fixture deployed and a manual wall clock (locks count on it)."""
    engine.wall = wall
    engine.deploy(fixture_files("external_tasks.bpmn"))
    return engine


def fetch(engine, worker="w1", topics=("check_documents",), max_tasks=10, lock_ms=60_000, wait=0.0, **options):
    topic_options = {k: options.pop(k) for k in list(options) if k in TopicRequest.__dataclass_fields__}
    request = FetchAndLock(WORKER, worker, max_tasks, tuple(TopicRequest(t, lock_ms, **topic_options) for t in topics),
                           **options)
    return engine.fetch_and_lock(request, wait_seconds=wait)


def history(engine, instance_id):
    return [(e.type, e.element_id) for e in engine.history(instance_id)]


def test_external_task__a_topic_no_connector_answers_waits_for_a_worker(ext):
    inst = ext.start("document_check", {"urgency": 7})
    assert inst.status == "running" and inst.active_elements == ["check"]
    [task] = ext.external_tasks(instance_id=inst.id)
    assert (task.topic, task.element_id, task.priority, task.worker_id, task.retries) == \
        ("check_documents", "check", 7, None, None)
    assert task.properties == {"registry": "consulaire"} and task.created_at == ext.clock.now()
    assert ("external_task_created", "check") in history(ext, inst.id)
    assert ("element_completed", "check") not in history(ext, inst.id)  # waiting, not done
    assert ext.list_tasks(see_all=True, instance_id=inst.id).items == []  # nobody's inbox


def test_fetch_and_lock__locks_for_the_worker_and_gives_the_typed_variables(ext, wall):
    when = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    inst = ext.start("document_check", {"urgency": 1, "amount": Decimal("1250.50"), "filed_at": when,
                                        "applicant": {"name": "Fatima"}})
    [task] = fetch(ext, "w1", lock_ms=30_000)
    assert task.instance_id == inst.id and task.worker_id == "w1"
    assert task.lock_expires_at == wall.now() + timedelta(seconds=30)
    assert task.variables == {"urgency": 1, "amount": Decimal("1250.50"), "filed_at": when,
                              "applicant": {"name": "Fatima"}}
    assert fetch(ext, "w2") == []  # locked
    wall.advance(timedelta(seconds=31))  # the lock ran out: another worker may take it
    [again] = fetch(ext, "w2", variables=("urgency", "missing"))
    assert again.id == task.id and again.worker_id == "w2" and again.variables == {"urgency": 1}


def test_complete__sets_the_variables_and_the_instance_runs_on(ext):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext)
    after = ext.complete_external_task(task.id, "w1", {"documents_ok": True, "checked_at":
                                                       datetime(2026, 3, 2, 9, tzinfo=UTC)}, actor=WORKER)
    assert after.active_elements == ["review"] and after.data["documents_ok"] is True
    assert ext.list_tasks(see_all=True, instance_id=inst.id).items[0].element_id == "review"
    with pytest.raises(NotFound):
        ext.external_task(task.id)
    [event] = [e for e in ext.history(inst.id) if e.type == "external_task_completed"]
    assert event.actor == "robot" and event.payload["worker_id"] == "w1"
    assert event.payload["changes"] == {"documents_ok": True, "checked_at": "2026-03-02T09:00:00+00:00"}
    assert ext.verify(inst.id)["replay_ok"]


def test_complete__only_by_the_worker_of_the_latest_lock(ext, wall):
    ext.start("document_check", {"urgency": 1})
    task = ext.external_tasks()[0]
    with pytest.raises(Conflict, match="not locked"):
        ext.complete_external_task(task.id, "w1", {})
    fetch(ext, "w1")
    with pytest.raises(Conflict, match="locked by worker 'w1', not 'w2'"):
        ext.complete_external_task(task.id, "w2", {})
    wall.advance(timedelta(hours=1))  # its lock ran out, but nobody took it: w1 may still report (Camunda)
    assert ext.complete_external_task(task.id, "w1", {}).active_elements == ["review"]
    with pytest.raises(NotFound):
        ext.complete_external_task(task.id, "w1", {})


@pytest.mark.parametrize("variables, name", [
    ({"too_big": 2 ** 70}, "too_big"),
    ({"bad": {"nested": {1, 2}}}, "bad.nested"),
])
def test_complete__a_variable_diwan_cannot_keep_is_refused_and_nothing_changes(ext, variables, name):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext)
    with pytest.raises(InvalidData) as err:
        ext.complete_external_task(task.id, "w1", variables)
    assert f"variables.{name}" in err.value.errors
    assert ext.get_instance(inst.id).active_elements == ["check"]
    assert ext.external_task(task.id).worker_id == "w1"


def test_complete__a_step_after_it_fails_so_nothing_is_changed(ext):
    inst = ext.start("timed_check", {})
    [task] = fetch(ext)
    with pytest.raises(ScriptError) as err:  # the script after it needs `documents`
        ext.complete_external_task(task.id, "w1", {"other": 1})
    assert err.value.errors[0]["element"] == "t_score"
    assert ext.get_instance(inst.id).data == {} and ext.external_task(task.id).worker_id == "w1"
    after = ext.complete_external_task(task.id, "w1", {"documents": ["passport", "photo"]})
    assert after.status == "completed" and after.data["score"] == 20


def test_failure__retries_after_the_timeout_then_an_incident_at_zero_then_retried(ext, wall):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext)
    assert ext.fail_external_task(task.id, "w1", "registry down", error_details="trace...", retries=2,
                                  retry_timeout_ms=5_000, actor=WORKER) is None
    assert fetch(ext, "w2") == []  # waiting out its retry timeout
    wall.advance(timedelta(seconds=5))
    [again] = fetch(ext, "w2")
    assert (again.retries, again.error_message, again.error_details) == (2, "registry down", "trace...")
    incident = ext.fail_external_task(task.id, "w2", "registry still down", retries=0, actor=WORKER)
    failed = ext.get_instance(inst.id)
    assert failed.status == "failed" and [i.id for i in failed.incidents] == [incident]
    assert failed.incidents[0].element_id == "check" and failed.incidents[0].attempts == 2
    assert failed.incidents[0].message == "registry still down"
    wall.advance(timedelta(hours=1))
    assert fetch(ext, "w2") == []  # no retries left
    assert [e[0] for e in history(ext, inst.id)][-3:] == ["external_task_failed", "external_task_failed",
                                                         "incident_created"]
    assert ext.retry_incident(incident).status == "running"
    [retried] = fetch(ext, "w3")
    assert retried.id == task.id and retried.retries == 1
    assert ext.complete_external_task(task.id, "w3", {}).active_elements == ["review"]


def test_failure__negative_retries_are_refused(ext):
    ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext)
    with pytest.raises(InvalidData):
        ext.fail_external_task(task.id, "w1", "x", retries=-1)


def test_bpmn_error__the_boundary_event_catches_it_with_the_variables(ext):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext)
    after = ext.throw_external_bpmn_error(task.id, "w1", "DOCS_MISSING", "no passport",
                                          {"missing": ["passport"]}, actor=WORKER)
    assert after.active_elements == ["ask_documents"] and after.data["missing"] == ["passport"]
    assert ext.external_tasks(instance_id=inst.id) == []
    assert ("external_task_bpmn_error", "check") in history(ext, inst.id)
    assert ("external_task_cancelled", "check") not in history(ext, inst.id)


def test_bpmn_error__no_event_catches_it_so_an_incident_and_nothing_set(ext):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext)
    after = ext.throw_external_bpmn_error(task.id, "w1", "UNKNOWN_CODE", "?", {"missing": ["passport"]})
    assert after.status == "failed" and "missing" not in after.data
    assert "UNKNOWN_CODE" in ext.get_instance(inst.id).incidents[0].message
    assert ext.external_task(task.id).retries == 0


def test_locks__extend_only_ones_own_live_lock_and_unlock_frees_it(ext, wall):
    ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext, "w1", lock_ms=10_000)
    with pytest.raises(Conflict):
        ext.lock_external_task(task.id, "w2", 10_000, extend=True)
    with pytest.raises(Conflict):
        ext.lock_external_task(task.id, "w2", 10_000)  # locked by w1
    ext.lock_external_task(task.id, "w1", 60_000, extend=True)
    assert ext.external_task(task.id).lock_expires_at == wall.now() + timedelta(minutes=1)
    wall.advance(timedelta(minutes=2))
    with pytest.raises(Conflict):
        ext.lock_external_task(task.id, "w1", 10_000, extend=True)  # ran out
    ext.lock_external_task(task.id, "w2", 10_000)
    assert ext.external_tasks(locked=True)[0].worker_id == "w2"
    ext.unlock_external_task(task.id)
    assert ext.external_tasks(locked=False)[0].id == task.id
    assert fetch(ext, "w3")[0].id == task.id
    with pytest.raises(InvalidData):
        ext.lock_external_task(task.id, "w3", 0, extend=True)


def test_timer_boundary__interrupts_the_waiting_external_task(ext):
    inst = ext.start("timed_check", {})
    [task] = fetch(ext)
    ext.advance_clock(by=timedelta(hours=1))
    assert ext.get_instance(inst.id).status == "completed"
    assert ext.external_tasks() == []
    assert ("external_task_cancelled", "t_check") in history(ext, inst.id)
    with pytest.raises(NotFound):
        ext.complete_external_task(task.id, "w1", {"documents": []})


def test_cancel__removes_the_instance_external_tasks(ext):
    inst = ext.start("document_check", {"urgency": 1})
    ext.cancel(inst.id, "withdrawn")
    assert ext.external_tasks() == []
    assert ("external_task_cancelled", "check") in history(ext, inst.id)


def test_suspended_instance__its_tasks_are_not_fetched_until_resumed(ext):
    inst = ext.start("document_check", {"urgency": 1})
    ext.suspend(inst.id)
    assert fetch(ext) == [] and ext.external_tasks()[0].suspended
    ext.resume(inst.id)
    assert fetch(ext)[0].instance_id == inst.id


def test_multi_instance__one_task_per_item_each_with_its_item(ext):
    inst = ext.start("each_document", {"documents": ["passport", "photo"]})
    tasks = fetch(ext, topics=("check_one",), local_variables=True)
    assert sorted(t.variables["document"] for t in tasks) == ["passport", "photo"]
    assert all(set(t.variables) == {"document"} for t in tasks)
    for t in tasks:
        ext.complete_external_task(t.id, "w1", {f"seen_{t.variables['document']}": True})
    done = ext.get_instance(inst.id)
    assert done.status == "completed" and done.data["seen_passport"] and done.data["seen_photo"]
    assert "document" not in done.data  # the item stays the task's own
    assert ext.verify(inst.id)["replay_ok"]


def test_fetch__filters_and_order(ext):
    low = ext.start("document_check", {"urgency": 1, "region": "nord"}, business_key="B-1")
    ext.clock.advance(timedelta(minutes=1))
    high = ext.start("document_check", {"urgency": 9, "region": "sud"}, business_key="B-2")
    assert [t.instance_id for t in fetch(ext, use_priority=True, max_tasks=1)] == [high.id]
    ext.unlock_external_task(ext.external_tasks(instance_id=high.id)[0].id)
    assert [t.instance_id for t in fetch(ext, newest_first=True, max_tasks=1)] == [high.id]
    ext.unlock_external_task(ext.external_tasks(instance_id=high.id)[0].id)
    assert [t.instance_id for t in fetch(ext, max_tasks=1)] == [low.id]  # oldest first
    ext.unlock_external_task(ext.external_tasks(instance_id=low.id)[0].id)
    assert [t.instance_id for t in fetch(ext, business_key="B-2")] == [high.id]
    ext.unlock_external_task(ext.external_tasks(instance_id=high.id)[0].id)
    assert [t.instance_id for t in fetch(ext, process_variables={"region": "nord"})] == [low.id]
    assert fetch(ext, definition_keys=("each_document",)) == []
    assert fetch(ext, tenant_ids=("t1",)) == [] and fetch(ext, version_tag="v1") == []
    assert [t.instance_id for t in fetch(ext, definition_keys=("document_check",))] == [high.id]
    assert fetch(ext, topics=("another_topic",)) == []


def test_fetch__bad_requests_are_refused(ext):
    with pytest.raises(InvalidData):
        fetch(ext, worker="")
    with pytest.raises(InvalidData):
        fetch(ext, topics=("a", "a"))
    with pytest.raises(InvalidData):
        fetch(ext, lock_ms=0)


def test_long_poll__a_task_created_meanwhile_wakes_the_waiting_fetch(database_url, clock, connectors, wall):
    # The poll interval is longer than the wait: only the in-process wake-up can bring the task.
    engine = Engine(settings=EngineSettings(database_url=database_url, external_task_poll_seconds=60),
                    clock=clock, connectors=connectors)
    engine.wall = wall
    engine.deploy(fixture_files("external_tasks.bpmn"))
    got, waiting = [], threading.Event()
    original = engine.external_signal.wait

    def wait(seen, timeout):
        waiting.set()
        return original(seen, timeout)

    engine.external_signal.wait = wait
    fetcher = threading.Thread(target=lambda: got.extend(fetch(engine, wait=20)))
    fetcher.start()
    assert waiting.wait(10)
    inst = engine.start("document_check", {"urgency": 1})  # a write while the fetch waits: it holds no lock
    fetcher.join(30)
    assert not fetcher.is_alive() and [t.instance_id for t in got] == [inst.id]
    engine.dispose()


def test_long_poll__polls_for_tasks_another_process_created(database_url, clock, connectors, wall):
    settings = EngineSettings(database_url=database_url, external_task_poll_seconds=0.05)
    poller, other = (Engine(settings=settings, clock=clock, connectors=connectors) for _ in range(2))
    poller.wall = wall
    other.deploy(fixture_files("external_tasks.bpmn"))
    got = []
    fetcher = threading.Thread(target=lambda: got.extend(fetch(poller, wait=20)))
    fetcher.start()
    inst = other.start("document_check", {"urgency": 1})  # no signal reaches the poller's engine
    fetcher.join(30)
    assert not fetcher.is_alive() and [t.instance_id for t in got] == [inst.id]
    poller.dispose()
    other.dispose()


def test_long_poll__nothing_comes_so_an_empty_answer_at_the_deadline(ext):
    assert fetch(ext, wait=0.2) == []


def test_replay__re_applies_the_workers_reports(ext):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(ext)
    ext.fail_external_task(task.id, "w1", "later", retries=1)
    [task] = fetch(ext)
    ext.complete_external_task(task.id, "w1", {"score": Decimal("12.5"), "at": datetime(2026, 3, 2, tzinfo=UTC)})
    tasks = ext.list_tasks(see_all=True, instance_id=inst.id).items
    ext.complete_task(tasks[0].id, {}, actor=CLERK)
    assert ext.get_instance(inst.id).status == "completed"
    result = ext.verify(inst.id)
    assert result["chain_ok"] and result["replay_ok"], result


def test_topic_of_a_registered_connector__runs_the_connector_not_a_worker(engine, connectors):
    engine.deploy(fixture_files("services.bpmn"))
    inst = engine.start("services", {"fail_on_first": False})
    assert engine.external_tasks() == [] and inst.data["number"] == "LBL-0001"


def test_fetch__concurrent_workers_never_get_the_same_task(ext):
    instances = {ext.start("document_check", {"urgency": 1}).id for _ in range(8)}
    got: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def work(worker):
        barrier.wait()
        got[worker] = [t.id for t in fetch(ext, worker, max_tasks=3)]

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    locked = [tid for ids in got.values() for tid in ids]
    assert len(locked) == len(set(locked)) == 8  # each task once, to the worker its lock names
    assert all(ext.external_task(tid).worker_id == worker for worker, ids in got.items() for tid in ids)
    assert {t.instance_id for t in ext.external_tasks()} == instances
