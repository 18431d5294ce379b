"""A designer's hostile script, started by a clerk through the API: a clear 422 within the
script time limit, nothing kept, and the API keeps answering others meanwhile."""
from __future__ import annotations

import threading
import time

from tests.engine.test_hostile_scripts import script_process


def _deploy(engine, script: str) -> None:
    engine.deploy([("hostile.bpmn", script_process(script).replace(b'<bpmn:userTask id="u"/>',
                                                                     b'<bpmn:userTask id="u" camunda:candidateGroups="clerks"/>')
                    .replace(b'xmlns:bpmn=', b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:bpmn='))])


def test_a_start_running_a_c_level_loop_is_a_422_script_error_within_the_limit(call, engine):
    _deploy(engine, "x = sum(range(10**18))")
    started = time.monotonic()
    response = call("post", "/api/v1/process-definitions/hostile/start", "clerk", json={"data": {}})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "script_error" and "ran longer than 2 s" in body["message"]
    assert body["errors"][0]["element"] == "t"
    assert time.monotonic() - started < 2 + 10
    assert call("get", "/api/v1/process-instances", "admin").get_json()["total"] == 0


def test_a_result_no_instance_can_keep_is_a_422_naming_the_variable(call, engine):
    _deploy(engine, "x = {'ok': [1, {2, 3}]}")
    response = call("post", "/api/v1/process-definitions/hostile/start", "clerk", json={"data": {}})
    assert response.status_code == 422
    assert "variable x.ok[1]: sets are not JSON values" in response.get_json()["message"]


def test_others_are_served_while_a_hostile_start_runs(app, tokens, engine):
    _deploy(engine, "x = sum(range(10**18))")
    outcome = {}

    def hostile():
        with app.test_client() as client:
            outcome["status"] = client.post("/api/v1/process-definitions/hostile/start", json={"data": {}},
                                            headers={"Authorization": f"Bearer {tokens['clerk']}"}).status_code

    thread = threading.Thread(target=hostile)
    thread.start()
    time.sleep(0.3)
    served = []
    with app.test_client() as client:
        while thread.is_alive():
            served.append(client.get("/api/v1/process-definitions",
                                     headers={"Authorization": f"Bearer {tokens['clerk']}"}).status_code)
            time.sleep(0.05)
    thread.join()
    assert outcome["status"] == 422
    assert served and set(served) == {200}
