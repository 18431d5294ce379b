"""camunda-external-task-client-python3 (PyPI), unchanged, against diwan's /engine-rest."""
from __future__ import annotations

import json
import threading
import warnings
from datetime import datetime, timezone

import pytest

from tests.clients.conftest import WORKER_PASSWORD, WORKER_USER, review_task

with warnings.catch_warnings():  # the client still uses pydantic 1's validators
    warnings.simplefilter("ignore")
    from camunda.client.external_task_client import ExternalTaskClient
    from camunda.external_task.external_task_worker import ExternalTaskWorker, NoExternalTaskFound

CONFIG = {"auth_basic": {"username": WORKER_USER, "password": WORKER_PASSWORD}, "maxTasks": 1,
          "lockDuration": 10_000, "asyncResponseTimeout": 2_000, "retries": 2, "retryTimeout": 0,
          "sleepSeconds": 0}


def work_once(base_url, handler, config=CONFIG, topic="check_documents"):
    """One fetch-and-execute round of the client's worker (its `subscribe` loops forever)."""
    ExternalTaskWorker("py-worker", base_url, config).fetch_and_execute(topic, handler)


def test_python_client__fetches_the_variables_and_completes_with_a_new_one(engine, base_url):
    inst = engine.start("document_check", {"urgency": 3, "applicant": {"name": "Fatima"}}, business_key="DOS-7")
    seen = {}

    def handler(task):
        seen.update(variables=task.get_variables(), business_key=task.get_business_key(),
                    properties=task.get_extension_properties(), activity=task.get_activity_id(),
                    worker=task.get_worker_id(), instance=task.get_process_instance_id())
        return task.complete({"documents_ok": True,
                              "checked_at": {"value": "2026-03-02T09:00:00.000+0000", "type": "Date"}})

    work_once(base_url, handler)
    assert seen["variables"]["urgency"] == 3 and json.loads(seen["variables"]["applicant"]) == {"name": "Fatima"}
    assert (seen["business_key"], seen["activity"], seen["worker"], seen["instance"]) == \
        ("DOS-7", "check", "py-worker", inst.id)
    assert seen["properties"] == {"registry": "consulaire"}
    after = engine.get_instance(inst.id)
    assert after.data["documents_ok"] is True and after.data["checked_at"] == "2026-03-02T09:00:00+00:00"
    assert review_task(engine, inst.id) == ["review"]


def test_python_client__failures_count_down_the_retries_to_an_incident(engine, base_url):
    inst = engine.start("document_check", {"urgency": 1})
    retries_seen = []

    def handler(task):
        retries_seen.append(task._context["retries"])
        return task.failure("registry down", "ConnectionError: ...", max_retries=2, retry_timeout=0)

    for _ in range(3):
        work_once(base_url, handler)
    assert retries_seen == [None, 2, 1]  # then the client reports 0 retries left
    failed = engine.get_instance(inst.id)
    assert failed.status == "failed" and failed.incidents[0].message == "registry down"
    with pytest.raises(NoExternalTaskFound):  # no retries left: nothing to fetch
        work_once(base_url, handler)
    engine.retry_incident(failed.incidents[0].id)
    work_once(base_url, lambda task: task.complete({}))
    assert review_task(engine, inst.id) == ["review"]


def test_python_client__a_bpmn_error_is_caught_by_the_boundary_event(engine, base_url):
    inst = engine.start("document_check", {"urgency": 1})
    work_once(base_url, lambda task: task.bpmn_error("DOCS_MISSING", "passport missing", {"missing": ["passport"]}))
    after = engine.get_instance(inst.id)
    assert after.active_elements == ["ask_documents"] and after.data["missing"] == ["passport"]


def test_python_client__long_polls_until_a_task_comes(engine, base_url):
    client = ExternalTaskClient("py-worker", base_url, {**CONFIG, "asyncResponseTimeout": 8_000})
    answers = []
    poll = threading.Thread(target=lambda: answers.append(client.fetch_and_lock("check_documents")))
    poll.start()
    inst = engine.start("document_check", {"urgency": 1})  # while the client's request waits
    poll.join(20)
    assert not poll.is_alive() and [t["processInstanceId"] for t in answers[0]] == [inst.id]


def test_python_client__bearer_token_and_a_refused_password(engine, base_url, server_app):
    store = server_app.extensions["diwan.users"]
    token = store.login(WORKER_USER, WORKER_PASSWORD).token
    engine.start("document_check", {"urgency": 1})
    client = ExternalTaskClient("py-worker", base_url, {"auth_bearer": {"access_token": token}, "asyncResponseTimeout": 0})
    [task] = client.fetch_and_lock("check_documents")
    assert client.complete(task["id"], {"ok": True}) is True
    wrong = ExternalTaskClient("py-worker", base_url, {"auth_basic": {"username": WORKER_USER, "password": "nope"},
                                                       "asyncResponseTimeout": 0})
    with pytest.raises(Exception, match="received 401 : AuthenticationException"):
        wrong.fetch_and_lock("check_documents")


def test_python_client__completing_a_task_locked_by_another_worker_is_refused(engine, base_url):
    engine.start("document_check", {"urgency": 1})
    first = ExternalTaskClient("first", base_url, {**CONFIG, "asyncResponseTimeout": 0})
    [task] = first.fetch_and_lock("check_documents")
    second = ExternalTaskClient("second", base_url, {**CONFIG, "asyncResponseTimeout": 0})
    with pytest.raises(Exception, match="received 409 : BadUserRequestException : .*locked by worker 'first'"):
        second.complete(task["id"], {})
    assert first.complete(task["id"], {"at": datetime(2026, 3, 2, tzinfo=timezone.utc).isoformat()}) is True
