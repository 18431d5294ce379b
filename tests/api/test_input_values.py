"""Bodies through the API: nesting beyond the value domain is a 400, integers beyond 64 bits
stay integers (and are refused by name), lone surrogates are a 400; never a 500, never a
silent float."""
from __future__ import annotations

import json

import pytest

from engine.values import MAX_DEPTH
from tests.api.conftest import ready_task, start_loop

START = "/api/v1/process-definitions/loop/start"


def _raw(call, path, text: str, who="clerk"):
    return call("post", path, who, data=text.encode(), content_type="application/json")


def _nested_json(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 300, 1000])
def test_body__nesting_beyond_the_domain_is_400(call, deployed, levels):
    response = _raw(call, START, '{"data": {"count": 0, "limit": 1, "deep": %s}}' % _nested_json(levels))
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["code"] == "bad_request" and f"process variables may nest {MAX_DEPTH} levels" in body["message"]
    assert call("get", "/api/v1/process-instances", "admin").get_json()["total"] == 0


def test_body__nesting_up_to_the_domain_is_kept(call, deployed):
    response = _raw(call, START, '{"data": {"count": 0, "limit": 1, "deep": %s}}' % _nested_json(MAX_DEPTH))
    assert response.status_code == 201, response.get_json()
    deep, levels = response.get_json()["data"]["deep"], 0
    while isinstance(deep, list):
        deep, levels = deep[0], levels + 1
    assert levels == MAX_DEPTH and deep == 1


@pytest.mark.parametrize("number", ["123456789012345678901234567890", "18446744073709551615",
                                    "9223372036854775808", "-9223372036854775809"])
def test_body__integers_beyond_64_bits_are_refused_by_name_not_rounded(call, deployed, number):
    response = _raw(call, START, '{"data": {"count": 0, "limit": 1, "amount": {"due": [1, %s]}}}' % number)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["amount.due[1]"] and "64-bit range" in body["errors"]["amount.due[1]"][0]
    assert call("get", "/api/v1/process-instances", "admin").get_json()["total"] == 0


def test_body__64_bit_integers_and_big_floats_come_back_as_they_were_sent(call, deployed):
    response = _raw(call, START, '{"data": {"count": 0, "limit": 1, "max": 9223372036854775807, '
                                 '"min": -9223372036854775808, "avogadro": 6.02214076e23, "big": 1e300}}')
    assert response.status_code == 201, response.get_json()
    data = json.loads(call("get", f"/api/v1/process-instances/{response.get_json()['id']}", "admin").data)["data"]
    assert data["max"] == 2 ** 63 - 1 and type(data["max"]) is int
    assert data["min"] == -(2 ** 63) and type(data["min"]) is int
    assert data["avogadro"] == 6.02214076e23 and type(data["avogadro"]) is float
    assert data["big"] == 1e300 and type(data["big"]) is float


def test_complete__a_big_integer_is_refused_and_the_task_stays_ready(call, deployed):
    task = ready_task(call, start_loop(call)["id"])
    response = _raw(call, f"/api/v1/tasks/{task['id']}/complete", '{"data": {"score": 1e2, "id": 99999999999999999999}}')
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["id"]
    assert call("get", f"/api/v1/tasks/{task['id']}", "clerk").get_json()["state"] == "ready"


def test_message__a_big_integer_is_refused_and_nobody_receives_it(call, deployed):
    call("post", "/api/v1/process-definitions/ebg/start", "clerk", json={"business_key": "M-1"})
    response = _raw(call, "/api/v1/messages", '{"name": "reply", "correlation_key": "M-1", '
                                              '"data": {"answer": [-99999999999999999999]}}')
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["answer[0]"]
    assert call("post", "/api/v1/messages", "clerk", json={"name": "reply", "correlation_key": "M-1"}).status_code == 200


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\udfffb"', '"\\ud800\\u0041"'])
def test_body__lone_surrogates_are_400(call, deployed, text):
    response = _raw(call, START, '{"data": {"count": 0, "limit": 1, "name": %s}}' % text)
    assert response.status_code == 400 and response.get_json()["code"] == "bad_request"
    assert "surrogate" in response.get_json()["message"]


def test_body__a_surrogate_pair_is_one_character(call, deployed):
    response = _raw(call, START, '{"data": {"count": 0, "limit": 1, "name": "\\ud83d\\ude00"}}')
    assert response.status_code == 201 and response.get_json()["data"]["name"] == "\U0001F600"
