"""SpiffArena diagrams through the API: the samples deploy, start, run and complete; a refused
spiffworkflow extension is a 422 naming the element and the reason."""
from __future__ import annotations

import io

from tests.api.conftest import ready_task
from tests.conftest import FIXTURES

SAMPLES = FIXTURES / "spiffarena"


def _files(**named: bytes):
    return {"files": [(io.BytesIO(content), name) for name, content in named.items()]}


def test_spiffarena_samples__deploy_and_run_to_completion(call):
    files = {name: (SAMPLES / name).read_bytes()
             for name in ("prescript_postscript.bpmn", "business_rule_task.bpmn", "business_rules.dmn")}
    response = call("post", "/api/v1/deployments", "designer", content_type="multipart/form-data",
                    data=_files(**files))
    assert response.status_code == 201, response.get_json()
    assert sorted(d["key"] for d in response.get_json()["definitions"]) == ["Process_1", "Process_bd2e724"]

    started = call("post", "/api/v1/process-definitions/Process_bd2e724/start", "clerk", json={"data": {}})
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["status"] == "completed" and started.get_json()["data"]["answer"] == "Y"

    started = call("post", "/api/v1/process-definitions/Process_1/start", "clerk", json={"data": {"a": 1, "b": 2}})
    assert started.status_code == 201, started.get_json()
    instance = started.get_json()
    assert instance["data"]["z"] == 6  # the pre-script ran when the task became ready
    task = ready_task(call, instance["id"])
    done = call("post", f"/api/v1/tasks/{task['id']}/complete", "admin", json={"data": {}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["data"] == {"a": 1, "b": 2, "z": 6, "c": 12}


def test_spiffarena_refused_extension__is_422_naming_the_element(call):
    bad = (SAMPLES / "prescript_postscript.bpmn").read_bytes().replace(
        b"<spiffworkflow:preScript>", b"<spiffworkflow:allowGuest>true</spiffworkflow:allowGuest><spiffworkflow:preScript>")
    response = call("post", "/api/v1/deployments", "designer", content_type="multipart/form-data",
                    data=_files(**{"guest.bpmn": bad}))
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["file"] == "guest.bpmn" and error["element"] == "Activity_1iqs4li"
    assert "spiffworkflow:allowGuest" in error["message"] and "guest" in error["message"]
