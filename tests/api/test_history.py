"""History: the hash-chained events as JSON and CSV, and who may read them."""
from __future__ import annotations

import csv
import hashlib
import io
import json

from tests.api.conftest import ready_task, start_loop

GENESIS = "0" * 64


def _recompute(instance_id: str, event: dict) -> str:
    """API.md's recipe, written from the contract: anyone holding the events can do this."""
    from datetime import datetime, timezone

    body = {k: v for k, v in event.items() if k != "hash"}
    at = datetime.fromisoformat(body["at"]).astimezone(timezone.utc)
    body["at"] = at.isoformat(timespec="microseconds")
    body["instance_id"] = instance_id
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _completed_loop(call):
    instance = start_loop(call, "clerk")
    task = ready_task(call, instance["id"])
    call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {"note": "fini"}})
    return instance["id"]


def test_history__events_in_order_with_a_hash_chain(call, deployed):
    instance_id = _completed_loop(call)
    response = call("get", f"/api/v1/process-instances/{instance_id}/history", "auditor")
    assert response.status_code == 200
    events = response.get_json()["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "instance_started" and events[-1]["type"] == "instance_completed"
    assert "task_completed" in [e["type"] for e in events]
    assert set(events[0]) == {"seq", "at", "type", "actor", "element_id", "task_id", "payload", "prev_hash", "hash"}
    assert events[0]["prev_hash"] == GENESIS and events[0]["actor"] == "amina"
    for before, after in zip(events, events[1:]):
        assert after["prev_hash"] == before["hash"]
    assert all(_recompute(instance_id, e) == e["hash"] for e in events)


def test_history__csv_has_the_same_rows(call, deployed):
    instance_id = _completed_loop(call)
    events = call("get", f"/api/v1/process-instances/{instance_id}/history", "admin").get_json()["events"]
    response = call("get", f"/api/v1/process-instances/{instance_id}/history?format=csv", "auditor")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["hash"] for r in rows] == [e["hash"] for e in events]
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in events]
    assert json.loads(rows[0]["payload"]) == events[0]["payload"]


def test_history__clerks_read_only_instances_they_may_read_and_no_csv(call, deployed):
    instance_id = _completed_loop(call)
    path = f"/api/v1/process-instances/{instance_id}/history"
    assert call("get", path, "clerk").status_code == 200
    assert call("get", path, "clerk2").status_code == 403
    assert call("get", path, "designer").status_code == 403
    assert call("get", f"{path}?format=csv", "clerk").status_code == 403
    assert call("get", f"{path}?format=xml", "admin").status_code == 422
    assert call("get", "/api/v1/process-instances/nope/history", "admin").status_code == 404


def test_history__filters_by_type_actor_and_time(call, deployed, clock):
    from datetime import timedelta
    from urllib.parse import quote

    instance_id = _completed_loop(call)
    base = f"/api/v1/process-instances/{instance_id}/history"
    everything = call("get", base, "auditor").get_json()["events"]
    by_type = call("get", base + "?type=task_completed&type=instance_started", "auditor").get_json()["events"]
    assert [e["type"] for e in by_type] == ["instance_started", "task_completed"]
    by_actor = call("get", base + "?actor=amina", "auditor").get_json()["events"]
    assert by_actor and {e["actor"] for e in by_actor} == {"amina"}
    assert len(by_actor) < len(everything)
    later = quote((clock.now() + timedelta(seconds=1)).isoformat())
    assert call("get", base + f"?since={later}", "auditor").get_json()["events"] == []
    assert len(call("get", base + f"?until={later}", "auditor").get_json()["events"]) == len(everything)
    csv_rows = call("get", base + "?format=csv&type=task_completed", "auditor").get_data(as_text=True).splitlines()
    assert len(csv_rows) == 2  # header + one row
    assert call("get", base + "?since=yesterday", "auditor").status_code == 422
    assert call("get", base + "?since=2026-03-02T09:00:00", "auditor").status_code == 422  # no offset
