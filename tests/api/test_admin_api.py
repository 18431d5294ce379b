"""Admin API beyond the contract: users changed, disabled and given new passwords, groups with
display names, suspend and resume with a reason; each recorded."""
from __future__ import annotations

from tests.api.conftest import PASSWORD, start_loop


def test_users__patch_disable_and_reset_password(call, client):
    changed = call("patch", "/api/v1/users/amina", "admin", json={"groups": ["bureau_ordre", "consulats"]})
    assert changed.status_code == 200 and changed.get_json()["groups"] == ["bureau_ordre", "consulats"]
    disabled = call("patch", "/api/v1/users/amina", "admin", json={"disabled": True})
    assert disabled.get_json()["disabled"] is True
    assert call("get", "/api/v1/tasks", "clerk").status_code == 401  # her token stopped working
    login = client.post("/api/v1/auth/token", json={"username": "amina", "password": PASSWORD})
    assert login.status_code == 401
    call("patch", "/api/v1/users/amina", "admin", json={"disabled": False})
    reset = call("post", "/api/v1/users/amina/password", "admin", json={"password": "a new password"})
    assert reset.status_code == 204
    assert client.post("/api/v1/auth/token", json={"username": "amina", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "amina", "password": "a new password"}).status_code == 200
    assert call("patch", "/api/v1/users/root", "admin", json={"disabled": True}).status_code == 422
    assert call("patch", "/api/v1/users/nobody", "admin", json={"disabled": True}).status_code == 404
    assert call("post", "/api/v1/users/amina/password", "admin", json={"password": "short"}).status_code == 422
    assert call("patch", "/api/v1/users/amina", "clerk2", json={"disabled": True}).status_code == 403
    types = [e["type"] for e in call("get", "/api/v1/admin/events?subject=user:amina", "admin").get_json()["items"]]
    assert types == ["password_reset", "user_changed", "user_changed", "user_changed", "user_created"]


def test_groups__display_names_and_members(call):
    saved = call("put", "/api/v1/groups/bureau_ordre", "admin", json={"label": "Bureau d'ordre",
                                                                       "members": ["amina", "karim"]})
    assert saved.status_code == 200 and saved.get_json() == {"name": "bureau_ordre", "label": "Bureau d'ordre",
                                                             "members": ["amina", "karim"]}
    listed = {g["name"]: g for g in call("get", "/api/v1/groups", "clerk").get_json()}
    assert listed["bureau_ordre"]["label"] == "Bureau d'ordre" and listed["bureau_ordre"]["members"] == 2
    assert listed["finance"]["label"] == "finance"  # not named yet: shown as itself
    assert call("get", "/api/v1/groups/bureau_ordre", "admin").get_json()["members"] == ["amina", "karim"]
    assert call("put", "/api/v1/groups/x", "designer", json={"label": "X"}).status_code == 403
    assert call("put", "/api/v1/groups/bad%20name", "admin", json={"label": "X"}).status_code == 422


def test_suspend_and_resume__with_a_reason_in_the_history(call, deployed):
    instance = start_loop(call)
    assert call("post", f"/api/v1/process-instances/{instance['id']}/suspend", "admin",
                json={"reason": "pièces en attente"}).get_json()["status"] == "suspended"
    assert call("post", f"/api/v1/process-instances/{instance['id']}/resume", "admin",
                json={"reason": "pièces reçues"}).get_json()["status"] == "running"
    events = call("get", f"/api/v1/process-instances/{instance['id']}/history", "admin").get_json()["events"]
    by_type = {e["type"]: e for e in events}
    assert by_type["instance_suspended"]["payload"]["reason"] == "pièces en attente"
    assert by_type["instance_resumed"]["payload"]["reason"] == "pièces reçues"
    assert call("post", f"/api/v1/process-instances/{instance['id']}/suspend", "admin").status_code == 200
