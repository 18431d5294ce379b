"""Audit routes: time travel, verification, incidents and the manual clock through HTTP."""
from __future__ import annotations

from datetime import timedelta

from engine import ConnectorRegistry
from tests.api.conftest import start_loop
from tests.conftest import fixture_files


def test_state__after_each_event(call, deployed):
    inst = start_loop(call)
    events = call("get", f"/api/v1/process-instances/{inst['id']}/history", "auditor").get_json()["events"]
    ready = next(e for e in events if e["type"] == "task_ready")
    state = call("get", f"/api/v1/process-instances/{inst['id']}/state?at_seq={ready['seq']}", "auditor").get_json()
    assert state["data"] == {"count": 0, "limit": 1} and state["active_elements"] == ["work"]
    assert [t["element_id"] for t in state["open_tasks"]] == ["work"] and state["status"] == "running"
    assert call("get", f"/api/v1/process-instances/{inst['id']}/state?at_seq=999", "auditor").status_code == 404
    assert call("get", f"/api/v1/process-instances/{inst['id']}/state?at_seq=0", "auditor").status_code == 422
    assert call("get", f"/api/v1/process-instances/{inst['id']}/state", "auditor").status_code == 422


def test_verify__intact_then_tampered(call, deployed):
    import sqlalchemy as sa

    inst = start_loop(call)
    ok = call("post", f"/api/v1/process-instances/{inst['id']}/verify", "auditor").get_json()
    assert {k: ok[k] for k in ("chain_ok", "replay_ok", "first_bad_seq", "detail")} == {
        "chain_ok": True, "replay_ok": True, "first_bad_seq": None, "detail": "replay matches the record"}
    with deployed.db.begin() as conn:
        conn.execute(sa.text("update audit_event set actor = 'mallory' where instance_id = :i and seq = 1"),
                     {"i": inst["id"]})
    bad = call("post", f"/api/v1/process-instances/{inst['id']}/verify", "auditor").get_json()
    assert bad["chain_ok"] is False and bad["first_bad_seq"] == 1
    assert call("post", "/api/v1/process-instances/nope/verify", "auditor").status_code == 404
    with deployed.db.begin() as conn:  # the fixture verifies every instance left: put it back
        conn.execute(sa.text("update audit_event set actor = 'amina' where instance_id = :i and seq = 1"),
                     {"i": inst["id"]})


def test_clock__advance_fires_timers_and_never_goes_back(call, deployed, clock):
    call("post", "/api/v1/process-definitions/ebg/start", "clerk", json={"data": {}, "business_key": "K"})
    before = clock.now()
    response = call("post", "/api/v1/admin/clock", "admin", json={"advance": "P16D"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["fired"] == 1 and body["now"].startswith((before + timedelta(days=16)).date().isoformat())
    back = call("post", "/api/v1/admin/clock", "admin", json={"set": before.isoformat()})
    assert back.status_code == 422 and back.get_json()["code"] == "validation_error"
    assert call("post", "/api/v1/admin/clock", "admin", json={"advance": "soon"}).status_code == 422
    assert call("post", "/api/v1/admin/clock", "admin", json={}).status_code == 422


def test_incidents__listed_and_retried(call, engine, clock):
    registry_up = {"up": False}
    registry = ConnectorRegistry()

    @registry.value("registry_lookup")
    def lookup(call_):
        if not registry_up["up"]:
            raise ConnectionError("registre injoignable")
        return {"ok": True}

    engine.connectors = registry
    engine.settings = type(engine.settings)(**{**engine.settings.__dict__, "retry_backoff_seconds": 0})
    engine.deploy(fixture_files("timers.bpmn"))
    inst = engine.start("flaky", {})
    engine.advance_clock(by=timedelta(hours=2))
    engine.fire_due_timers()
    engine.fire_due_timers()
    page = call("get", "/api/v1/incidents", "admin").get_json()
    assert page["total"] == 1 and page["items"][0]["instance_id"] == inst.id
    assert "registre injoignable" in page["items"][0]["message"]
    shown = call("get", f"/api/v1/process-instances/{inst.id}", "admin").get_json()
    assert shown["status"] == "failed" and shown["incidents"][0]["attempts"] == 3
    registry_up["up"] = True
    retried = call("post", f"/api/v1/incidents/{page['items'][0]['id']}/retry", "admin")
    assert retried.status_code == 200 and retried.get_json()["status"] == "running"
    assert call("post", f"/api/v1/incidents/{page['items'][0]['id']}/retry", "admin").status_code == 409
    engine.fire_due_timers()
    assert call("get", f"/api/v1/process-instances/{inst.id}", "admin").get_json()["status"] == "completed"
