"""Drafts and the life of definitions through the API: save, preview, publish, conflicts,
old versions downloaded and re-published, withdrawal, starter groups, the admin log."""
from __future__ import annotations

from tests.conftest import FIXTURES

LOOP = (FIXTURES / "loop.bpmn").read_text()


def _save(call, key, source, revision, base_version=None, who="designer", kind="process"):
    return call("put", f"/api/v1/drafts/{kind}/{key}", who,
                json={"source": source, "revision": revision, "base_version": base_version})


def test_drafts__new_diagram_save_preview_publish(call):
    created = call("post", "/api/v1/drafts/process", "designer")
    assert created.status_code == 201
    draft = created.get_json()
    assert draft["key"].startswith("procedure_") and draft["revision"] == 1 and draft["base_version"] is None
    source = LOOP.replace('id="loop"', f'id="demande_bourse"')
    saved = _save(call, draft["key"], source, 1)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["key"] == "demande_bourse" and saved.get_json()["revision"] == 2
    preview = call("get", "/api/v1/drafts/process/demande_bourse/preview", "designer").get_json()
    assert preview["valid"] and preview["status"] == "new" and preview["current"] is None and not preview["stale"]
    published = call("post", "/api/v1/drafts/process/demande_bourse/publish", "designer", json={"revision": 2})
    assert published.status_code == 201, published.get_json()
    assert [(d["key"], d["version"]) for d in published.get_json()["definitions"]] == [("demande_bourse", 1)]
    assert call("get", "/api/v1/drafts", "designer").get_json() == []
    assert call("get", "/api/v1/drafts/process/demande_bourse", "designer").status_code == 404


def test_drafts__stale_revision_and_taken_key_are_409s(call, deployed):
    assert _save(call, "loop", LOOP.replace("Travailler", "Travailler bien"), 0, 1).status_code == 200
    stale = _save(call, "loop", LOOP.replace("Travailler", "Autre"), 0, 1, who="admin")
    assert stale.status_code == 409 and stale.get_json()["code"] == "conflict"
    new = call("post", "/api/v1/drafts/process", "designer").get_json()
    taken = _save(call, new["key"], LOOP, 1)  # declares `loop`, a published process
    assert taken.status_code == 409 and "'loop' is taken" in taken.get_json()["message"]
    bad = _save(call, "loop", "<not xml", 1)
    assert bad.status_code == 422 and "source" in bad.get_json()["errors"]
    assert call("put", "/api/v1/drafts/nothing/loop", "designer",
                json={"source": LOOP, "revision": 0}).status_code == 422


def test_drafts__invalid_publication_is_a_422_naming_the_element(call):
    new = call("post", "/api/v1/drafts/process", "designer").get_json()
    response = call("post", f"/api/v1/drafts/process/{new['key']}/publish", "designer", json={"revision": 1})
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_definition"
    assert response.get_json()["errors"][0]["element"] == "debut"
    preview = call("get", f"/api/v1/drafts/process/{new['key']}/preview", "designer").get_json()
    assert not preview["valid"] and preview["errors"][0]["element"] == "debut"


def test_versions__downloaded_and_republished(call, deployed):
    changed = LOOP.replace("Travailler", "Travailler bien")
    _save(call, "loop", changed, 0, 1)
    assert call("post", "/api/v1/drafts/process/loop/publish", "designer", json={"revision": 1}).status_code == 201
    old = call("get", "/api/v1/process-definitions/loop/xml?version=1&download=true", "designer")
    assert old.status_code == 200 and old.headers["Content-Disposition"] == 'attachment; filename="loop-v1.bpmn"'
    assert "Travailler bien" not in old.get_data(as_text=True)
    form = call("get", "/api/v1/forms/request?download=true", "designer")
    assert form.headers["Content-Disposition"] == 'attachment; filename="request-v1.form"'
    again = call("post", "/api/v1/definitions/process/loop/versions/1/republish", "designer")
    assert again.status_code == 201 and again.get_json()["definitions"][0]["version"] == 3
    versions = call("get", "/api/v1/definitions/process/loop/versions", "clerk").get_json()
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert call("post", "/api/v1/definitions/process/loop/versions/3/republish", "designer").status_code == 409
    assert call("post", "/api/v1/definitions/process/loop/versions/1/republish", "clerk").status_code == 403


def test_withdraw_reinstate_and_starters(call, deployed):
    withdrawn = call("post", "/api/v1/process-definitions/loop/withdraw", "designer", json={"reason": "remplacée"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn"] is True
    start = call("post", "/api/v1/process-definitions/loop/start", "clerk", json={"data": {"count": 0, "limit": 1}})
    assert start.status_code == 409 and "withdrawn" in start.get_json()["message"]
    listed = {d["key"]: d for d in call("get", "/api/v1/process-definitions", "clerk").get_json()}
    assert listed["loop"]["withdrawn"] is True
    assert call("post", "/api/v1/process-definitions/loop/withdraw", "designer", json={}).status_code == 409
    assert call("post", "/api/v1/process-definitions/loop/reinstate", "designer").get_json()["withdrawn"] is False
    assert call("put", "/api/v1/process-definitions/loop/starters", "designer", json={"groups": ["x"]}).status_code == 403
    set_ = call("put", "/api/v1/process-definitions/loop/starters", "admin", json={"groups": ["finance"]})
    assert set_.get_json()["starter_groups"] == ["finance"]
    refused = call("post", "/api/v1/process-definitions/loop/start", "clerk", json={"data": {"count": 0, "limit": 1}})
    assert refused.status_code == 403
    allowed = call("post", "/api/v1/process-definitions/loop/start", "clerk2", json={"data": {"count": 0, "limit": 1}})
    assert allowed.status_code == 201


def test_admin_log__lists_and_verifies_what_was_done(call, deployed):
    call("post", "/api/v1/process-definitions/loop/withdraw", "designer", json={"reason": "test"})
    log = call("get", "/api/v1/admin/events?subject=process:loop", "auditor").get_json()
    assert log["total"] == 1 and log["items"][0]["type"] == "definition_withdrawn"
    assert log["items"][0]["actor"] == "dina" and log["items"][0]["payload"] == {"reason": "test"}
    everything = call("get", "/api/v1/admin/events", "admin").get_json()
    assert [e["type"] for e in everything["items"]][:2] == ["definition_withdrawn", "definitions_deployed"]
    assert {e["type"] for e in everything["items"][2:]} == {"user_created"}  # the fixtures' users
    assert call("post", "/api/v1/admin/events/verify", "auditor").get_json() == {"chain_ok": True, "first_bad_seq": None}
    assert call("get", "/api/v1/admin/events", "clerk").status_code == 403
    assert call("get", "/api/v1/drafts", "clerk").status_code == 403
