"""Camunda start conventions through the API: candidateStarterGroups/Users (403 naming the reason), initiator."""
from __future__ import annotations

from tests.engine.test_camunda_starters import diagram


def test_candidate_starters__403_names_the_reason_and_the_definition_says_who(call, engine):
    engine.deploy([diagram('camunda:candidateStarterGroups="finance" camunda:candidateStarterUsers="omar"',
                           'camunda:initiator="starter"')])
    refused = call("post", "/api/v1/process-definitions/p/start", "clerk", json={"data": {}})
    assert refused.status_code == 403
    body = refused.get_json()
    assert body["code"] == "forbidden" and "only clerks of finance or omar may start 'p'" in body["message"]
    allowed = call("post", "/api/v1/process-definitions/p/start", "clerk2", json={"data": {}})
    assert allowed.status_code == 201 and allowed.get_json()["data"] == {"starter": "karim"}
    listed = {d["key"]: d for d in call("get", "/api/v1/process-definitions", "clerk").get_json()}
    assert listed["p"]["candidate_starter_groups"] == ["finance"]
    assert listed["p"]["candidate_starter_users"] == ["omar"]
    assert listed["p"]["starter_groups"] == []


def test_form_data__start_form_errors_are_422_naming_the_fields(call, engine):
    from tests.engine.test_camunda_form_data import diagram as form_data_diagram

    engine.deploy([form_data_diagram()])
    bad = call("post", "/api/v1/process-definitions/p/start", "clerk", json={"data": {"amount": 5000}})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"applicant", "amount"}
    form = call("get", "/api/v1/forms/p.s", "clerk")
    assert form.status_code == 200 and form.get_json()["components"][0]["key"] == "applicant"
    ok = call("post", "/api/v1/process-definitions/p/start", "clerk", json={"data": {"applicant": "Amina"}})
    assert ok.status_code == 201
