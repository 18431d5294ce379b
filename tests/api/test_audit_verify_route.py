"""POST /process-instances/{id}/verify with its findings and checkpoint status, and
GET /audit/checkpoint: the latest signed checkpoint with the key file's public key."""
from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import ready_task, start_loop
from tests.conftest import PG_URL


def test_verify__findings_name_what_differs_with_stored_and_expected(call, deployed):
    inst = start_loop(call)
    ok = call("post", f"/api/v1/process-instances/{inst['id']}/verify", "auditor").get_json()
    assert ok["ok"] is True and ok["projections_ok"] is True and ok["findings"] == []
    assert ok["instance_id"] == inst["id"] and ok["checkpoint"]["status"] in ("none", "off")
    task = ready_task(call, inst["id"])
    with deployed.db.begin() as conn:
        conn.execute(sa.text("update instance set status = 'completed' where id = :i"), {"i": inst["id"]})
        conn.execute(sa.text("update task set assignee = 'mallory' where id = :t"), {"t": task["id"]})
    bad = call("post", f"/api/v1/process-instances/{inst['id']}/verify", "admin")
    assert bad.status_code == 200
    body = bad.get_json()
    assert body["ok"] is False and body["chain_ok"] is True and body["projections_ok"] is False
    found = {f["subject"]: f for f in body["findings"]}
    assert found["status"] == {"kind": "instance", "subject": "status", "stored": "completed", "expected": "running",
                               "detail": "the stored status is not what the record says"}
    assert found[f"task {task['id']} assignee"]["stored"] == "mallory"
    assert found[f"task {task['id']} assignee"]["expected"] is None
    with deployed.db.begin() as conn:  # the fixture verifies every instance left: put it back
        conn.execute(sa.text("update instance set status = 'running' where id = :i"), {"i": inst["id"]})
        conn.execute(sa.text("update task set assignee = null where id = :t"), {"t": task["id"]})


def test_checkpoint__latest_with_public_key_then_verify_is_covered(call, deployed):
    inst = start_loop(call)
    empty = call("get", "/api/v1/audit/checkpoint", "auditor").get_json()
    if PG_URL:  # no key file for this PostgreSQL database: off, and said so
        assert empty == {"enabled": False, "checkpoint": None, "detail": empty["detail"]}
        assert "DIWAN_AUDIT_KEY_FILE" in empty["detail"]
        verify = call("post", f"/api/v1/process-instances/{inst['id']}/verify", "auditor").get_json()
        assert verify["checkpoint"]["status"] == "off" and verify["ok"] is True
        return
    assert empty == {"enabled": True, "detail": "no checkpoint yet", "checkpoint": None}
    deployed.checkpoint()
    latest = call("get", "/api/v1/audit/checkpoint", "auditor").get_json()
    checkpoint = latest["checkpoint"]
    assert checkpoint["seq"] == 1 and checkpoint["leaf_count"] == 1 and "leaves" not in checkpoint
    assert checkpoint["public_key"]["key_id"] == checkpoint["key_id"]
    leaves = call("get", "/api/v1/audit/checkpoint?leaves=true", "auditor").get_json()["checkpoint"]["leaves"]
    assert [leaf["instance_id"] for leaf in leaves] == [inst["id"]]
    verify = call("post", f"/api/v1/process-instances/{inst['id']}/verify", "auditor").get_json()
    assert verify["checkpoint"]["status"] == "verified" and verify["checkpoint"]["seq"] == 1
    assert call("get", "/api/v1/audit/checkpoint?leaves=maybe", "auditor").status_code == 422
