"""Messages: correlation by business key, message starts, nothing waiting."""
from __future__ import annotations

from tests.conftest import FIXTURES


def test_message__reaches_every_instance_waiting_under_the_key(call, deployed):
    # Business keys are unique per process: the two waiting instances are of two processes.
    copy = (FIXTURES / "event_gateway.bpmn").read_bytes().replace(b'process id="ebg"', b'process id="ebg_copy"')
    deployed.deploy([("ebg_copy.bpmn", copy)])
    ids = [call("post", f"/api/v1/process-definitions/{key}/start", "clerk", json={"business_key": "DOS-1"})
           .get_json()["id"] for key in ("ebg", "ebg_copy")]
    other = call("post", "/api/v1/process-definitions/ebg/start", "clerk", json={"business_key": "DOS-2"}).get_json()
    response = call("post", "/api/v1/messages", "clerk",
                    json={"name": "reply", "correlation_key": "DOS-1", "data": {"answer": "oui"}})
    assert response.status_code == 200
    assert sorted(response.get_json()["correlated"]) == sorted(ids)
    reached = call("get", f"/api/v1/process-instances/{ids[0]}").get_json()
    assert reached["status"] == "completed" and reached["data"]["answer"] == "oui"
    assert call("get", f"/api/v1/process-instances/{other['id']}").get_json()["status"] == "running"


def test_message__starts_a_process_by_its_message_start(call, deployed):
    response = call("post", "/api/v1/messages", "admin",
                    json={"name": "rapatriement_crise", "correlation_key": "CRISE-7", "data": {"n": 3}})
    assert response.status_code == 200
    [instance_id] = response.get_json()["correlated"]
    instance = call("get", f"/api/v1/process-instances/{instance_id}").get_json()
    assert instance["business_key"] == "CRISE-7" and instance["data"] == {"n": 3, "origin": "crisis"}


def test_message__nothing_waiting_is_404(call, deployed):
    response = call("post", "/api/v1/messages", "clerk", json={"name": "reply", "correlation_key": "none"})
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_message__bad_body_is_422_and_roles(call, deployed):
    response = call("post", "/api/v1/messages", "clerk", json={"name": "", "data": []})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name", "correlation_key", "data"}
    body = {"name": "reply", "correlation_key": "k"}
    assert call("post", "/api/v1/messages", "auditor", json=body).status_code == 403
    assert call("post", "/api/v1/messages", "designer", json=body).status_code == 403
