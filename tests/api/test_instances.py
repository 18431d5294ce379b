"""Instances: start, list, read rules, cancel, suspend, resume."""
from __future__ import annotations

from datetime import timedelta

from engine import Actor
from tests.api.conftest import ready_task, start_loop

INSTANCE_KEYS = {"id", "definition_key", "definition_version", "business_key", "status", "data",
                 "active_elements", "incidents", "created_at", "ended_at", "version"}


def test_start__201_with_the_instance(call, deployed):
    body = start_loop(call, "clerk", business_key="REQ-1")
    assert set(body) == INSTANCE_KEYS
    assert body["status"] == "running" and body["business_key"] == "REQ-1"
    assert body["data"] == {"count": 0, "limit": 1}
    assert body["active_elements"] == ["work"] and body["incidents"] == [] and body["ended_at"] is None
    assert body["definition_key"] == "loop" and body["definition_version"] == 1


def test_start__start_form_validates_data(call, deployed):
    bad = call("post", "/api/v1/process-definitions/with_forms/start", "clerk", json={"data": {"amount": -1}})
    assert bad.status_code == 422
    body = bad.get_json()
    assert body["code"] == "validation_error" and {"applicant", "amount"} <= set(body["errors"])
    good = call("post", "/api/v1/process-definitions/with_forms/start", "clerk",
                json={"data": {"applicant": "Fatima", "amount": 300}})
    assert good.status_code == 201 and good.get_json()["active_elements"] == ["decide"]


def test_start__unknown_process_is_404_and_bad_body_is_422(call, deployed):
    assert call("post", "/api/v1/process-definitions/nope/start", "clerk", json={}).status_code == 404
    for body in ({"data": [1]}, {"data": "x"}, {"business_key": 5}, {"business_key": "k" * 256}, {"other": 1}):
        response = call("post", "/api/v1/process-definitions/loop/start", "clerk", json=body)
        assert response.status_code == 422, body
        assert response.get_json()["code"] == "validation_error"


def test_start__script_error_is_422_and_nothing_is_kept(call, deployed):
    instance = start_loop(call, data={"count": 0, "limit": 5})
    task = ready_task(call, instance["id"])
    # `count` is an object: `count + 1` fails in the script task after `work`.
    response = call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"count": {"a": 1}}})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "script_error" and body["errors"][0]["element"] == "count"
    assert call("get", f"/api/v1/process-instances/{instance['id']}").get_json()["data"]["count"] == 0


def test_list__newest_first_with_filters_and_pages(call, deployed, clock):
    ids = []
    for i in range(3):
        ids.append(start_loop(call, "admin", business_key=f"K{i}")["id"])
        clock.advance(timedelta(minutes=1))
    response = call("get", "/api/v1/process-instances?per_page=2", "auditor")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and [i["id"] for i in body["items"]] == ids[::-1][:2]
    second = call("get", "/api/v1/process-instances?per_page=2&page=2", "auditor").get_json()
    assert [i["id"] for i in second["items"]] == ids[:1]
    assert call("get", "/api/v1/process-instances?business_key=K1").get_json()["items"][0]["id"] == ids[1]
    assert call("get", "/api/v1/process-instances?status=completed").get_json()["total"] == 0
    assert call("get", "/api/v1/process-instances?definition_key=loop").get_json()["total"] == 3
    assert call("get", "/api/v1/process-instances?page=9").get_json() == {"items": [], "total": 3, "page": 9,
                                                                          "per_page": 50}


def test_read__clerks_see_what_they_started_or_were_offered(call, deployed):
    offered = start_loop(call, "admin")["id"]  # the task is offered to `clerks` (amina)
    own = call("post", "/api/v1/process-definitions/ebg/start", "clerk2", json={"business_key": "B"}).get_json()["id"]
    listed = lambda who: {i["id"] for i in call("get", "/api/v1/process-instances", who).get_json()["items"]}  # noqa: E731
    assert listed("clerk") == {offered}
    assert listed("clerk2") == {own}
    assert listed("admin") == listed("auditor") == {offered, own}
    assert call("get", f"/api/v1/process-instances/{offered}", "clerk").status_code == 200
    assert call("get", f"/api/v1/process-instances/{offered}", "clerk2").status_code == 403
    assert call("get", f"/api/v1/process-instances/{own}", "clerk").status_code == 403
    assert call("get", f"/api/v1/process-instances/{own}", "designer").status_code == 403
    assert call("get", "/api/v1/process-instances", "designer").status_code == 403


def test_read__a_clerk_who_claimed_a_task_reads_the_instance(call, deployed):
    instance = start_loop(call, "admin")
    task = ready_task(call, instance["id"])
    assert call("get", f"/api/v1/process-instances/{instance['id']}", "clerk2").status_code == 403
    # karim (group finance) claimed it while he was in `clerks`: the audit log remembers.
    karim_then = Actor("karim", groups=("clerks",), roles=("clerk",))
    deployed.claim(task["id"], karim_then)
    deployed.unclaim(task["id"], karim_then)
    assert call("get", f"/api/v1/process-instances/{instance['id']}", "clerk2").status_code == 200
    assert instance["id"] in {i["id"] for i in call("get", "/api/v1/process-instances", "clerk2").get_json()["items"]}


def test_read__unknown_instance_is_404(call):
    for who in ("admin", "auditor", "clerk"):
        response = call("get", "/api/v1/process-instances/nope", who)
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_cancel__then_again_is_409(call, deployed):
    instance = start_loop(call)
    response = call("post", f"/api/v1/process-instances/{instance['id']}/cancel", "admin", json={"reason": "doublon"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and body["ended_at"] and body["active_elements"] == []
    again = call("post", f"/api/v1/process-instances/{instance['id']}/cancel", "admin", json={"reason": "x"})
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"
    assert call("get", f"/api/v1/tasks?instance_id={instance['id']}").get_json()["total"] == 0


def test_cancel__without_body_and_unknown_id(call, deployed):
    instance = start_loop(call)
    assert call("post", f"/api/v1/process-instances/{instance['id']}/cancel", "admin").status_code == 200
    assert call("post", "/api/v1/process-instances/nope/cancel", "admin").status_code == 404


def test_suspend_resume__and_ended_is_409(call, deployed):
    instance = start_loop(call)
    path = f"/api/v1/process-instances/{instance['id']}"
    suspended = call("post", f"{path}/suspend", "admin")
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    task = ready_task(call, instance["id"])
    assert call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk", json={}).status_code == 409
    resumed = call("post", f"{path}/resume", "admin")
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "running"
    call("post", f"{path}/cancel", "admin")
    assert call("post", f"{path}/suspend", "admin").status_code == 409
    assert call("post", f"{path}/resume", "admin").status_code == 409
    assert call("post", "/api/v1/process-instances/nope/suspend", "admin").status_code == 404
    assert call("post", "/api/v1/process-instances/nope/resume", "admin").status_code == 404


def test_lifecycle__only_admins(call, deployed):
    instance = start_loop(call)
    for action in ("cancel", "suspend", "resume"):
        for who in ("designer", "clerk", "auditor"):
            assert call("post", f"/api/v1/process-instances/{instance['id']}/{action}", who).status_code == 403


def test_instances__filtered_by_creation_time(call, deployed, clock):
    from datetime import timedelta
    from urllib.parse import quote

    first = start_loop(call)
    clock.advance(timedelta(days=2))
    second = start_loop(call)
    cut = quote((clock.now() - timedelta(days=1)).isoformat())
    after = call("get", f"/api/v1/process-instances?created_from={cut}", "admin").get_json()
    before = call("get", f"/api/v1/process-instances?created_to={cut}", "clerk").get_json()
    assert [i["id"] for i in after["items"]] == [second["id"]] and after["total"] == 1
    assert [i["id"] for i in before["items"]] == [first["id"]] and before["total"] == 1
    assert call("get", "/api/v1/process-instances?created_from=2026-03-02", "admin").status_code == 422
