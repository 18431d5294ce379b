"""Camunda 7's external-task REST API under /engine-rest: shapes, typed variables, auth, errors."""
from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import ManualClock
from tests.api.conftest import PASSWORD
from tests.conftest import fixture_files

BASE = "/engine-rest/external-task"
CAMUNDA_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")
LOCKED_KEYS = {"activityId", "activityInstanceId", "errorMessage", "errorDetails", "executionId", "id",
               "lockExpirationTime", "createTime", "processDefinitionId", "processDefinitionKey",
               "processDefinitionVersionTag", "processInstanceId", "retries", "suspended", "workerId", "topicName",
               "tenantId", "priority", "businessKey", "variables"}


@pytest.fixture
def worker(app):
    """A user with the role worker, and the Basic header of its credentials."""
    app.extensions["diwan.users"].create_user("robot", PASSWORD, ["worker"])
    return {"Authorization": "Basic " + base64.b64encode(f"robot:{PASSWORD}".encode()).decode()}


@pytest.fixture
def ext(engine):
    engine.wall = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    engine.deploy(fixture_files("external_tasks.bpmn"))
    return engine


def fetch(client, headers, worker_id="w1", **topic):
    body = {"workerId": worker_id, "maxTasks": 5,
            "topics": [{"topicName": "check_documents", "lockDuration": 60_000, **topic}]}
    response = client.post(f"{BASE}/fetchAndLock", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_fetch_and_lock__answers_camunda_locked_tasks(client, ext, worker):
    inst = ext.start("document_check", {"urgency": 3, "applicant": "Fatima"}, business_key="DOS-1")
    [task] = fetch(client, worker, includeExtensionProperties=True)
    assert set(task) == LOCKED_KEYS | {"extensionProperties"}
    assert (task["activityId"], task["topicName"], task["workerId"], task["processInstanceId"]) == \
        ("check", "check_documents", "w1", inst.id)
    assert (task["processDefinitionKey"], task["businessKey"], task["priority"], task["retries"]) == \
        ("document_check", "DOS-1", 3, None)
    assert task["activityInstanceId"] == f"check:{task['id']}" and task["suspended"] is False
    assert CAMUNDA_DATE.fullmatch(task["lockExpirationTime"]) and task["lockExpirationTime"] == \
        "2026-03-02T08:01:00.000+0000"
    assert CAMUNDA_DATE.fullmatch(task["createTime"])
    assert task["extensionProperties"] == {"registry": "consulaire"}
    assert task["variables"] == {"urgency": {"type": "Integer", "value": 3, "valueInfo": {}},
                                 "applicant": {"type": "String", "value": "Fatima", "valueInfo": {}}}
    assert fetch(client, worker) == []  # locked now


def test_fetch_and_lock__variables_out_with_camunda_types(client, ext, worker):
    ext.start("document_check", {"urgency": 2 ** 40, "amount": Decimal("12.50"), "ok": True, "none": None,
                                 "ratio": 0.5, "at": datetime(2026, 1, 5, 10, 30, tzinfo=timezone.utc),
                                 "day": datetime(2026, 1, 5).date(), "docs": ["a", {"b": 1}]})
    variables = fetch(client, worker)[0]["variables"]
    assert {k: (v["type"], v["value"]) for k, v in variables.items()} == {
        "urgency": ("Long", 2 ** 40), "amount": ("Double", 12.5), "ok": ("Boolean", True), "none": ("Null", None),
        "ratio": ("Double", 0.5), "at": ("Date", "2026-01-05T10:30:00.000+0000"), "day": ("String", "2026-01-05"),
        "docs": ("Json", '["a",{"b":1}]')}


@pytest.mark.parametrize("typed, value", [
    ({"value": "text"}, "text"),
    ({"value": 42}, 42),
    ({"value": {"a": [1, 2]}}, {"a": [1, 2]}),
    ({"value": "x", "type": "String"}, "x"),
    ({"value": 7, "type": "integer"}, 7),  # the JS client writes types in lower case
    ({"value": "7", "type": "Integer"}, 7),
    ({"value": 2 ** 40, "type": "Long"}, 2 ** 40),
    ({"value": 3, "type": "Short"}, 3),
    ({"value": 2, "type": "Double"}, 2.0),
    ({"value": True, "type": "Boolean"}, True),
    ({"value": "false", "type": "Boolean"}, False),
    ({"value": None, "type": "Null"}, None),
    ({"type": "Null"}, None),
    ({"value": '{"x": [1]}', "type": "Json"}, {"x": [1]}),
    ({"value": '[1, 2]', "type": "Object", "valueInfo": {"serializationDataFormat": "application/json"}}, [1, 2]),
    ({"value": "2026-03-02T09:00:00.000+0100", "type": "Date"}, "2026-03-02T09:00:00+01:00"),
    ({"value": "2026-03-02T09:00:00Z", "type": "date"}, "2026-03-02T09:00:00+00:00"),
])
def test_complete__camunda_typed_values_become_variables(client, ext, worker, typed, value):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(client, worker)
    response = client.post(f"{BASE}/{task['id']}/complete", json={"workerId": "w1", "variables": {"v": typed}},
                           headers=worker)
    assert response.status_code == 204 and response.data == b""
    assert "Content-Type" not in response.headers  # the JS client would parse an application/json body
    after = ext.get_instance(inst.id)
    assert after.active_elements == ["review"] and after.data["v"] == value


@pytest.mark.parametrize("typed, reason", [
    ({"value": "AAEC", "type": "Bytes"}, "not supported"),
    ({"value": "x", "type": "File"}, "not supported"),
    ({"value": "rO0AB", "type": "Object", "valueInfo": {"serializationDataFormat": "application/x-java-serialized-object"}},
     "application/json"),
    ({"value": "x", "type": "String", "valueInfo": {"transient": True}}, "transient"),
    ({"value": "2026-03-02T09:00:00", "type": "Date"}, "UTC offset"),
    ({"value": "soon", "type": "Date"}, "not a date"),
    ({"value": "abc", "type": "Integer"}, "whole number"),
    ({"value": 2 ** 40, "type": "Integer"}, "range"),
    ({"value": 1, "type": "String"}, "text"),
    ({"value": "{oops", "type": "Json"}, "JSON"),
    ("plain", "object"),
    ({"value": "x" * 600_000}, "bytes"),  # engine/values.py: more than one variable may hold
])
def test_complete__a_value_diwan_cannot_take_is_a_400_naming_the_variable(client, ext, worker, typed, reason):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(client, worker)
    response = client.post(f"{BASE}/{task['id']}/complete", json={"workerId": "w1", "variables": {"v": typed}},
                           headers=worker)
    body = response.get_json()
    assert response.status_code == 400 and body["type"] == "InvalidRequestException", body
    assert list(body["errors"]) == ["variables.v"] and reason in body["message"]
    assert ext.get_instance(inst.id).active_elements == ["check"]  # nothing changed


def test_complete__errors_in_camunda_shape(client, ext, worker):
    ext.start("document_check", {"urgency": 1})
    [task] = fetch(client, worker)
    missing = client.post(f"{BASE}/no-such-task/complete", json={"workerId": "w1"}, headers=worker)
    assert missing.status_code == 404
    assert missing.get_json()["type"] == "InvalidRequestException" and "no-such-task" in missing.get_json()["message"]
    other = client.post(f"{BASE}/{task['id']}/complete", json={"workerId": "w2"}, headers=worker)
    assert other.status_code == 409 and other.get_json()["type"] == "BadUserRequestException"
    assert "locked by worker 'w1'" in other.get_json()["message"]
    no_worker = client.post(f"{BASE}/{task['id']}/complete", json={}, headers=worker)
    assert no_worker.status_code == 400 and "workerId" in no_worker.get_json()["errors"]
    malformed = client.post(f"{BASE}/{task['id']}/complete", data="{", content_type="application/json",
                            headers=worker)
    assert malformed.status_code == 400 and malformed.get_json()["type"] == "InvalidRequestException"
    too_long = client.post(f"{BASE}/fetchAndLock", headers=worker, json={
        "workerId": "w1", "maxTasks": 1, "asyncResponseTimeout": 1_800_001, "topics": []})
    assert too_long.status_code == 400 and "asyncResponseTimeout" in too_long.get_json()["errors"]
    unknown = client.post(f"{BASE}/fetchAndLock", json={"workerId": "w1", "maxTasks": 1, "topic": []}, headers=worker)
    assert unknown.status_code == 400 and "topic" in unknown.get_json()["errors"]


def test_failure__incident_at_zero_is_visible_to_admins_and_retried(client, call, ext, worker):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(client, worker)
    response = client.post(f"{BASE}/{task['id']}/failure", headers=worker, json={
        "workerId": "w1", "errorMessage": "registry down", "errorDetails": "Traceback ...", "retries": 0,
        "retryTimeout": 1000})
    assert response.status_code == 204
    incidents = call("get", "/api/v1/incidents", "admin").get_json()["items"]
    assert [(i["instance_id"], i["element_id"], i["message"]) for i in incidents] == \
        [(inst.id, "check", "registry down")]
    assert call("get", f"/api/v1/process-instances/{inst.id}", "admin").get_json()["status"] == "failed"
    shown = client.get(f"{BASE}/{task['id']}", headers=worker).get_json()
    assert (shown["retries"], shown["errorMessage"]) == (0, "registry down")
    assert fetch(client, worker, ) == []
    retried = call("post", f"/api/v1/incidents/{incidents[0]['id']}/retry", "admin")
    assert retried.status_code == 200 and retried.get_json()["status"] == "running"
    [again] = fetch(client, worker)
    assert (again["id"], again["retries"], again["errorDetails"]) == (task["id"], 1, "Traceback ...")


def test_failure__with_retries_left_and_a_retry_timeout(client, ext, worker):
    ext.start("document_check", {"urgency": 1})
    [task] = fetch(client, worker)
    response = client.post(f"{BASE}/{task['id']}/failure", headers=worker,
                           json={"workerId": "w1", "errorMessage": "x" * 5000, "retries": 3, "retryTimeout": 60_000})
    assert response.status_code == 204
    shown = client.get(f"{BASE}/{task['id']}", headers=worker).get_json()
    assert shown["retries"] == 3 and len(shown["errorMessage"]) == 1000  # kept short, as Camunda does
    assert shown["lockExpirationTime"] == "2026-03-02T08:01:00.000+0000"
    assert fetch(client, worker) == []
    ext.wall.advance(timedelta(minutes=1))
    assert fetch(client, worker)[0]["retries"] == 3


def test_bpmn_error__caught_by_the_boundary_event(client, ext, worker):
    inst = ext.start("document_check", {"urgency": 1})
    [task] = fetch(client, worker)
    response = client.post(f"{BASE}/{task['id']}/bpmnError", headers=worker, json={
        "workerId": "w1", "errorCode": "DOCS_MISSING", "errorMessage": "passport missing",
        "variables": {"missing": {"value": '["passport"]', "type": "Json"}}})
    assert response.status_code == 204
    after = ext.get_instance(inst.id)
    assert after.active_elements == ["ask_documents"] and after.data["missing"] == ["passport"]
    assert client.get(f"{BASE}/{task['id']}", headers=worker).status_code == 404


def test_locks__extend_lock_and_unlock(client, ext, worker):
    ext.start("document_check", {"urgency": 1})
    [task] = fetch(client, worker)
    tid = task["id"]
    assert client.post(f"{BASE}/{tid}/extendLock", json={"workerId": "w2", "newDuration": 1000},
                       headers=worker).status_code == 409
    assert client.post(f"{BASE}/{tid}/extendLock", json={"workerId": "w1", "newDuration": 600_000},
                       headers=worker).status_code == 204
    assert client.get(f"{BASE}/{tid}", headers=worker).get_json()["lockExpirationTime"] == \
        "2026-03-02T08:10:00.000+0000"
    assert client.post(f"{BASE}/{tid}/lock", json={"workerId": "w2", "lockDuration": 1000},
                       headers=worker).status_code == 409
    assert client.post(f"{BASE}/{tid}/unlock", json={}, headers=worker).status_code == 204  # the JS client's body
    assert client.post(f"{BASE}/{tid}/unlock", headers=worker).status_code == 204  # and none
    assert client.get(f"{BASE}/{tid}", headers=worker).get_json()["workerId"] is None
    assert client.post(f"{BASE}/{tid}/lock", json={"workerId": "w2", "lockDuration": 1000},
                       headers=worker).status_code == 204
    assert fetch(client, worker, ) == []


def test_list__filters(client, ext, worker):
    first = ext.start("document_check", {"urgency": 1})
    second = ext.start("document_check", {"urgency": 2})
    ext.lock_external_task(ext.external_tasks(instance_id=first.id)[0].id, "w1", 60_000)
    listed = lambda query="": client.get(f"{BASE}?{query}", headers=worker).get_json()  # noqa: E731
    assert {t["processInstanceId"] for t in listed()} == {first.id, second.id}
    assert [t["processInstanceId"] for t in listed("locked=true")] == [first.id]
    assert [t["processInstanceId"] for t in listed("notLocked=true")] == [second.id]
    assert [t["processInstanceId"] for t in listed("workerId=w1")] == [first.id]
    assert [t["processInstanceId"] for t in listed(f"processInstanceId={second.id}")] == [second.id]
    assert listed("topicName=other") == [] and len(listed("maxResults=1")) == 1
    assert listed("noRetriesLeft=true") == [] and len(listed("withRetriesLeft=true")) == 2


def test_auth__basic_or_bearer_for_workers_and_admins_only(client, call, tokens, ext, worker):
    ext.start("document_check", {"urgency": 1})
    assert client.get(BASE, headers=worker).status_code == 200
    assert client.get(BASE, headers={"Authorization": f"Bearer {tokens['admin']}"}).status_code == 200
    clerk = client.get(BASE, headers={"Authorization": f"Bearer {tokens['clerk']}"})
    assert clerk.status_code == 403 and clerk.get_json()["type"] == "AuthorizationException"
    wrong = {"Authorization": "Basic " + base64.b64encode(b"robot:wrong-password").decode()}
    refused = client.get(BASE, headers=wrong)
    assert refused.status_code == 401 and refused.get_json()["type"] == "AuthenticationException"
    assert "Basic" in refused.headers["WWW-Authenticate"]
    assert client.get(BASE, headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.get(BASE).status_code == 401
    # Basic auth is for the Camunda-compatible routes; a worker has nothing to do in the inbox.
    assert client.get("/api/v1/tasks", headers=worker).status_code == 401
    robot = call.client.post("/api/v1/auth/token", json={"username": "robot", "password": PASSWORD}).get_json()
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {robot['token']}"}).status_code == 403


def test_auth__a_verified_basic_password_is_remembered_for_the_configured_time(app, engine, worker):
    client = app.test_client()
    assert client.get(BASE, headers=worker).status_code == 200
    with engine.db.begin() as conn:  # the user goes away behind the server's back
        conn.execute(sa.text("DELETE FROM user_account WHERE username = 'robot'"))
    assert client.get(BASE, headers=worker).status_code == 200  # within BASIC_AUTH_CACHE_SECONDS
    app.config["BASIC_AUTH_CACHE_SECONDS"] = 0
    app.extensions["diwan.basic_auth_cache"].clear()
    assert client.get(BASE, headers=worker).status_code == 401


def test_openapi__documents_the_engine_rest_routes_with_basic_auth(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/engine-rest/external-task/fetchAndLock"]["post"]
    assert {"basicAuth": []} in operation["security"] and operation["x-roles"] == ["worker", "admin"]
    assert doc["components"]["securitySchemes"]["basicAuth"] == {"type": "http", "scheme": "basic"}
    for action in ("complete", "failure", "bpmnError", "extendLock", "lock", "unlock"):
        assert f"/engine-rest/external-task/{{task_id}}/{action}" in doc["paths"]
