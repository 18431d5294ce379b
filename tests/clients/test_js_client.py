"""camunda-external-task-client-js (npm), unchanged, in a node subprocess against diwan's /engine-rest."""
from __future__ import annotations

import json
import shutil
import subprocess

from tests.clients.conftest import ROOT, WORKER_PASSWORD, WORKER_USER, review_task

SCRIPT = ROOT / "tests" / "clients" / "js_worker.mjs"
NODE = shutil.which("node")


def run_worker(base_url, mode, expected=1, **extra) -> list[dict]:
    """Run js_worker.mjs until it handled `expected` tasks; the tasks it saw, as it printed them."""
    assert NODE, "node is needed for the JS client tests (it comes with npm, which ./scripts/setup-venv uses)"
    assert (ROOT / "node_modules" / "camunda-external-task-client-js").is_dir(), \
        "npm install (./scripts/setup-venv) installs camunda-external-task-client-js from package.json"
    options = {"baseUrl": base_url, "username": WORKER_USER, "password": WORKER_PASSWORD, "mode": mode,
               "expected": expected, **extra}
    done = subprocess.run([NODE, str(SCRIPT), json.dumps(options)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_js_client__reads_typed_variables_and_completes_with_typed_ones(engine, base_url):
    inst = engine.start("document_check", {"urgency": 4, "applicant": {"name": "Youssef"}, "amount": 12.5},
                        business_key="DOS-9")
    [seen] = run_worker(base_url, "complete")
    assert (seen["activityId"], seen["businessKey"], seen["retries"]) == ("check", "DOS-9", None)
    assert seen["variables"] == {"urgency": 4, "applicant": {"name": "Youssef"}, "amount": 12.5}
    assert seen["typed"]["applicant"]["type"] == "json" and seen["typed"]["urgency"]["type"] == "integer"
    after = engine.get_instance(inst.id)
    assert review_task(engine, inst.id) == ["review"]
    assert {k: after.data[k] for k in ("documents_ok", "pages", "ratio", "note", "details", "checked_at",
                                       "nothing")} == {
        "documents_ok": True, "pages": 4, "ratio": 0.5, "note": "vu par le worker JS",
        "details": {"stamps": ["consulat"], "pages": 4}, "checked_at": "2026-03-02T09:00:00+00:00", "nothing": None}
    assert "local_note" not in after.data  # a local variable ends with its task
    [completed] = [e for e in engine.history(inst.id) if e.type == "external_task_completed"]
    assert completed.payload["worker_id"] == "js-worker" and completed.actor == WORKER_USER
    assert completed.payload["local_variables"] == {"local_note": "only for this task"}


def test_js_client__failures_count_down_the_retries_to_an_incident(engine, base_url):
    inst = engine.start("document_check", {"urgency": 1})
    seen = run_worker(base_url, "failure", expected=3)
    assert [s["retries"] for s in seen] == [None, 2, 1]
    failed = engine.get_instance(inst.id)
    assert failed.status == "failed" and failed.incidents[0].message == "registry down"
    assert engine.external_tasks(instance_id=inst.id)[0].retries == 0


def test_js_client__a_bpmn_error_is_caught_by_the_boundary_event(engine, base_url):
    inst = engine.start("document_check", {"urgency": 1})
    run_worker(base_url, "bpmnError")
    after = engine.get_instance(inst.id)
    assert after.active_elements == ["ask_documents"] and after.data["missing"] == ["passport"]


def test_js_client__unlock_gives_the_task_back(engine, base_url):
    inst = engine.start("document_check", {"urgency": 1})
    run_worker(base_url, "unlock")
    [task] = engine.external_tasks(instance_id=inst.id)
    assert task.worker_id is None and task.lock_expires_at is None


def test_js_client__waits_by_long_polling_for_a_task(engine, base_url):
    # The worker starts with nothing to do; the instance comes while its fetch waits on the server.
    import threading

    waiting, original = threading.Event(), engine.external_signal.wait

    def wait(seen, timeout):
        waiting.set()
        return original(seen, timeout)

    engine.external_signal.wait = wait
    got = []
    worker = threading.Thread(target=lambda: got.extend(run_worker(base_url, "complete")))
    worker.start()
    assert waiting.wait(30), "the JS client's fetch never waited"
    inst = engine.start("document_check", {"urgency": 1})
    worker.join(60)
    assert not worker.is_alive() and len(got) == 1
    assert review_task(engine, inst.id) == ["review"]
