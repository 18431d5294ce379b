"""Deployments and definitions: upload, list, versions, XML, decisions, forms."""
from __future__ import annotations

import io

from tests.conftest import FIXTURES


def _files(*names, **overrides):
    parts = [(io.BytesIO((FIXTURES / n).read_bytes()), n) for n in names]
    parts += [(io.BytesIO(content), name) for name, content in overrides.items()]
    return {"files": parts}


def test_deploy__multipart_lists_everything_uploaded(call):
    response = call("post", "/api/v1/deployments", "designer", content_type="multipart/form-data",
                    data=_files("with_forms.bpmn", "request.form", "decision_form.form", "decision.bpmn", "rate.dmn"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"]
    assert sorted((d["key"], d["version"]) for d in body["definitions"]) == [("decision", 1), ("with_forms", 1)]
    assert {d["name"] for d in body["definitions"]} >= {"Avec formulaires"}
    assert sorted((f["key"], f["version"]) for f in body["forms"]) == [("decision_form", 1), ("request", 1)]
    assert body["decisions"] == [{"key": "cofinancing_rate", "version": 1, "status": "new"}]


def test_deploy__identical_content_keeps_its_version(call):
    for status in ("new", "unchanged"):
        response = call("post", "/api/v1/deployments", "admin", content_type="multipart/form-data",
                        data=_files("loop.bpmn"))
        assert [(d["version"], d["status"]) for d in response.get_json()["definitions"]] == [(1, status)]


def test_deploy__invalid_definition_is_422_naming_file_and_element(call):
    bad = (FIXTURES / "representative.bpmn").read_bytes().replace(b"PT1H", b"une heure")
    response = call("post", "/api/v1/deployments", "designer", content_type="multipart/form-data",
                    data=_files("loop.bpmn", **{"bad.bpmn": bad}))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_definition"
    assert {"file": "bad.bpmn", "element": "review_timeout"}.items() <= body["errors"][0].items()
    assert call("get", "/api/v1/process-definitions/loop").status_code == 404  # all or nothing


def test_deploy__unsupported_file_type_and_not_xml_are_422(call):
    for name, content in (("notes.txt", b"hello"), ("x.bpmn", b"\xff\xfe not xml"), ("f.form", b"{not json")):
        response = call("post", "/api/v1/deployments", "designer", content_type="multipart/form-data",
                        data={"files": [(io.BytesIO(content), name)]})
        assert response.status_code == 422, (name, response.get_json())
        assert response.get_json()["code"] == "invalid_definition"


def test_deploy__no_files_is_422_and_json_is_400(call):
    empty = call("post", "/api/v1/deployments", "designer", content_type="multipart/form-data", data={"x": "y"})
    assert empty.status_code == 422 and empty.get_json()["errors"] == {"files": ["Missing data for required field."]}
    as_json = call("post", "/api/v1/deployments", "designer", json={"files": []})
    assert as_json.status_code == 400 and as_json.get_json()["code"] == "bad_request"


def test_deploy__over_the_upload_limit_is_413(engine, tokens):
    from api import create_app
    from tests.api.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "MAX_UPLOAD_MB": 0.01}, engine=engine)
    token = app.extensions["diwan.users"].issue_token(app.extensions["diwan.users"].get_user("dina")).token
    response = app.test_client().post("/api/v1/deployments", headers={"Authorization": f"Bearer {token}"},
                                      content_type="multipart/form-data",
                                      data={"files": [(io.BytesIO(b"<x/>" * 5000), "big.bpmn")]})
    assert response.status_code == 413
    assert response.get_json()["code"] == "too_large"


def test_definitions__list_latest_of_each(call, deployed):
    response = call("get", "/api/v1/process-definitions", "clerk")
    assert response.status_code == 200
    by_key = {d["key"]: d for d in response.get_json()}
    assert set(by_key) == {"loop", "with_forms", "ebg", "two_starts", "decision"}
    assert by_key["with_forms"]["start_form_key"] == "request"
    assert set(by_key["loop"]) == {"id", "key", "name", "version", "deployed_at", "start_form_key", "withdrawn",
                                   "starter_groups", "candidate_starter_groups", "candidate_starter_users"}


def test_definitions__get_versions_and_xml(call, deployed):
    changed = (FIXTURES / "loop.bpmn").read_bytes().replace(b'name="Boucle"', b'name="Boucle v2"')
    deployed.deploy([("loop.bpmn", changed)])
    latest = call("get", "/api/v1/process-definitions/loop", "auditor").get_json()
    assert (latest["version"], latest["name"]) == (2, "Boucle v2")
    first = call("get", "/api/v1/process-definitions/loop?version=1", "auditor").get_json()
    assert (first["version"], first["name"]) == (1, "Boucle")
    versions = call("get", "/api/v1/process-definitions/loop/versions", "designer").get_json()
    assert [v["version"] for v in versions] == [2, 1]
    xml = call("get", "/api/v1/process-definitions/loop/xml?version=1", "clerk")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert xml.data == (FIXTURES / "loop.bpmn").read_bytes()
    assert b"Boucle v2" in call("get", "/api/v1/process-definitions/loop/xml", "clerk").data


def test_definitions__decision_xml_and_form(call, deployed):
    dmn = call("get", "/api/v1/decisions/cofinancing_rate/xml", "designer")
    assert dmn.status_code == 200 and dmn.mimetype == "application/xml" and b"cofinancing_rate" in dmn.data
    form = call("get", "/api/v1/forms/request", "clerk")
    assert form.status_code == 200 and form.get_json()["id"] == "request"
    assert call("get", "/api/v1/forms/request?version=1", "clerk").get_json()["components"][0]["key"] == "applicant"


def test_definitions__unknown_key_or_version_is_404(call, deployed):
    for path in ("/api/v1/process-definitions/nope", "/api/v1/process-definitions/loop?version=9",
                 "/api/v1/process-definitions/nope/versions", "/api/v1/process-definitions/nope/xml",
                 "/api/v1/decisions/nope/xml", "/api/v1/forms/nope", "/api/v1/forms/loop"):
        response = call("get", path, "clerk")
        assert response.status_code == 404, path
        assert response.get_json()["code"] == "not_found"


def test_definitions__bad_version_is_422(call, deployed):
    for version in ("abc", "0", "-1", "99999999999999999999"):
        response = call("get", f"/api/v1/process-definitions/loop?version={version}", "clerk")
        assert response.status_code == 422, version
        assert "version" in response.get_json()["errors"]
