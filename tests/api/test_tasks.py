"""Tasks: the inbox, a task with its form and data, claim, unclaim, complete."""
from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import ready_task, start_loop

TASK_KEYS = {"id", "instance_id", "definition_key", "element_id", "name", "state", "candidate_groups",
             "candidate_users", "assignee", "form_key", "due_at", "created_at"}


def _start_with_forms(call, who="clerk"):
    response = call("post", "/api/v1/process-definitions/with_forms/start", who,
                    json={"data": {"applicant": "Fatima", "amount": 300}})
    assert response.status_code == 201
    return response.get_json()


def test_inbox__only_tasks_offered_to_the_caller(call, deployed, clock):
    loop = start_loop(call, "admin")
    clock.advance(timedelta(minutes=1))
    forms = _start_with_forms(call, "admin")  # its task goes to the lane bureau_ordre
    response = call("get", "/api/v1/tasks", "clerk")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2 and [t["instance_id"] for t in body["items"]] == [loop["id"], forms["id"]]
    task = body["items"][0]
    assert TASK_KEYS <= set(task)
    assert (task["element_id"], task["name"], task["state"], task["candidate_groups"]) == (
        "work", "Travailler", "ready", ["clerks"])
    assert call("get", "/api/v1/tasks", "clerk2").get_json() == {"items": [], "total": 0, "page": 1, "per_page": 50}
    assert call("get", "/api/v1/tasks", "admin").get_json()["total"] == 2
    assert call("get", "/api/v1/tasks", "auditor").get_json()["total"] == 2


def test_inbox__filters_and_pages(call, deployed):
    loop = start_loop(call, "admin")
    forms = _start_with_forms(call, "admin")
    get = lambda query: call("get", f"/api/v1/tasks?{query}", "clerk").get_json()  # noqa: E731
    assert [t["instance_id"] for t in get("definition_key=with_forms")["items"]] == [forms["id"]]
    assert [t["instance_id"] for t in get(f"instance_id={loop['id']}")["items"]] == [loop["id"]]
    assert [t["element_id"] for t in get("candidate_group=bureau_ordre")["items"]] == ["decide"]
    assert get("assigned_to_me=true")["total"] == 0
    call("post", f"/api/v1/tasks/{ready_task(call, loop['id'])['id']}/claim", "clerk")
    assert [t["instance_id"] for t in get("assigned_to_me=true")["items"]] == [loop["id"]]
    page = get("per_page=1&page=2")
    assert page["total"] == 2 and len(page["items"]) == 1


def test_get__task_with_form_and_data(call, deployed):
    instance = _start_with_forms(call)
    task = ready_task(call, instance["id"])
    response = call("get", f"/api/v1/tasks/{task['id']}", "clerk")
    assert response.status_code == 200
    body = response.get_json()
    assert body["form"]["id"] == "decision_form" and body["form_key"] == "decision_form"
    assert body["data"] == {"applicant": "Fatima", "amount": 300}
    no_form = call("get", f"/api/v1/tasks/{ready_task(call, start_loop(call)['id'])['id']}", "clerk").get_json()
    assert no_form["form"] is None and no_form["data"] == {"count": 0, "limit": 1}


def test_get__who_may_read_a_task(call, deployed):
    task = ready_task(call, start_loop(call, "admin")["id"])
    assert call("get", f"/api/v1/tasks/{task['id']}", "auditor").status_code == 200
    assert call("get", f"/api/v1/tasks/{task['id']}", "clerk2").status_code == 403
    assert call("get", f"/api/v1/tasks/{task['id']}", "designer").status_code == 403
    assert call("get", "/api/v1/tasks/nope", "clerk").status_code == 404


def test_claim__again_is_200_by_another_is_409(call, deployed, tokens):
    task = ready_task(call, start_loop(call)["id"])
    first = call("post", f"/api/v1/tasks/{task['id']}/claim", "clerk")
    assert first.status_code == 200 and first.get_json()["assignee"] == "amina"
    assert call("post", f"/api/v1/tasks/{task['id']}/claim", "clerk").status_code == 200
    other = call("post", f"/api/v1/tasks/{task['id']}/claim", "admin")
    assert other.status_code == 409 and other.get_json()["code"] == "conflict"
    assert call("get", "/api/v1/tasks", "clerk").get_json()["items"][0]["assignee"] == "amina"


def test_claim__not_offered_is_403_unknown_is_404(call, deployed):
    task = ready_task(call, start_loop(call)["id"])
    assert call("post", f"/api/v1/tasks/{task['id']}/claim", "clerk2").status_code == 403
    assert call("post", "/api/v1/tasks/nope/claim", "clerk").status_code == 404


def test_unclaim__by_the_assignee_or_an_admin(call, deployed):
    task = ready_task(call, start_loop(call)["id"])
    call("post", f"/api/v1/tasks/{task['id']}/claim", "clerk")
    assert call("post", f"/api/v1/tasks/{task['id']}/unclaim", "clerk2").status_code == 403
    response = call("post", f"/api/v1/tasks/{task['id']}/unclaim", "clerk")
    assert response.status_code == 200 and response.get_json()["assignee"] is None
    call("post", f"/api/v1/tasks/{task['id']}/claim", "clerk")
    assert call("post", f"/api/v1/tasks/{task['id']}/unclaim", "admin").get_json()["assignee"] is None
    assert call("post", "/api/v1/tasks/nope/unclaim", "clerk").status_code == 404


def test_unclaim__an_unclaimed_task_not_offered_to_the_clerk_is_403_and_unchanged(call, deployed):
    task = ready_task(call, start_loop(call)["id"])  # offered to `clerks`: amina's group, not karim's
    refused = call("post", f"/api/v1/tasks/{task['id']}/unclaim", "clerk2")
    assert refused.status_code == 403 and refused.get_json() == {
        "code": "forbidden", "message": "only the assignee or an admin may unclaim this task"}
    assert call("get", f"/api/v1/tasks/{task['id']}", "admin").get_json()["assignee"] is None
    assert call("post", f"/api/v1/tasks/{task['id']}/unclaim", "clerk").status_code == 200  # offered: no change
    assert call("post", f"/api/v1/tasks/{task['id']}/unclaim", "admin").status_code == 200
    events = call("get", f"/api/v1/process-instances/{task['instance_id']}/history", "admin").get_json()["events"]
    assert "task_unclaimed" not in {e["type"] for e in events}


def test_complete__returns_the_instance_after_the_engine_ran_on(call, deployed):
    instance = _start_with_forms(call)
    task = ready_task(call, instance["id"])
    response = call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk",
                    json={"data": {"approved": True, "comment": "ok"}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "completed" and body["data"]["a_done"] is True and body["data"]["b_done"] is True
    assert call("get", f"/api/v1/tasks/{task['id']}", "clerk").get_json()["state"] == "completed"


def test_complete__invalid_data_is_422_and_nothing_changes(call, deployed):
    instance = _start_with_forms(call)
    task = ready_task(call, instance["id"])
    response = call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk",
                    json={"data": {"approved": "peut-être", "comment": "x" * 501}})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error" and {"approved", "comment"} <= set(body["errors"])
    assert call("get", f"/api/v1/tasks/{task['id']}", "clerk").get_json()["state"] == "ready"


def test_complete__twice_is_409_claimed_by_another_is_409_not_offered_is_403(call, deployed):
    task = ready_task(call, start_loop(call)["id"])
    assert call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk2", json={}).status_code == 403
    call("post", f"/api/v1/tasks/{task['id']}/claim", "admin")
    claimed = call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk", json={})
    assert claimed.status_code == 409
    assert call("post", f"/api/v1/tasks/{task['id']}/complete", "admin", json={}).status_code == 200
    twice = call("post", f"/api/v1/tasks/{task['id']}/complete", "admin", json={})
    assert twice.status_code == 409 and twice.get_json()["code"] == "conflict"
    assert call("post", "/api/v1/tasks/nope/complete", "clerk", json={}).status_code == 404


def test_actions__auditors_and_designers_change_nothing(call, deployed):
    task = ready_task(call, start_loop(call)["id"])
    for who in ("auditor", "designer"):
        for action in ("claim", "unclaim", "complete"):
            assert call("post", f"/api/v1/tasks/{task['id']}/{action}", who, json={}).status_code == 403
    assert call("get", f"/api/v1/tasks/{task['id']}", "clerk").get_json()["assignee"] is None
