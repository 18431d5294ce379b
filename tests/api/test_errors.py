"""Bad input never yields a 500: every error is {"code", "message", "errors"} with its status."""
from __future__ import annotations

import pytest

from api import create_app
from tests.api.conftest import TEST_CONFIG, start_loop

START = "/api/v1/process-definitions/loop/start"


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"code", "message", "errors"}
    return body


@pytest.mark.parametrize("data, content_type", [
    (b"{", "application/json"),
    (b'{"data": }', "application/json"),
    (b"NaN", "application/json"),
    (b'"\\ud800"', "application/json"),  # a lone surrogate
    (b"\xff\xfe{}", "application/json"),  # not UTF-8
    (b"[" * 5000 + b"]" * 5000, "application/json"),  # nesting past any parser's depth
    (b'{"data": {}}', "text/plain"),  # wrong content type
    (b"data=1", "application/x-www-form-urlencoded"),
])
def test_body__malformed_json_or_wrong_content_type_is_400(call, deployed, data, content_type):
    _error(call("post", START, "clerk", data=data, content_type=content_type), 400, "bad_request")


def test_body__missing_where_fields_are_required_is_400(call):
    _error(call("post", "/api/v1/messages", "clerk"), 400, "bad_request")
    _error(call("post", "/api/v1/users", "admin"), 400, "bad_request")
    _error(call("post", "/api/v1/auth/token", None), 400, "bad_request")


@pytest.mark.parametrize("body, field", [
    ({"data": 5}, "data"),
    ({"data": None}, "data"),
    ({"business_key": ["a"]}, "business_key"),
    ({"business_key": "a\x00b"}, "business_key"),  # NUL reaches no database
    ({"unknown": 1}, "unknown"),
])
def test_body__wrong_types_are_422_by_field(call, deployed, body, field):
    errors = _error(call("post", START, "clerk", json=body), 422, "validation_error")["errors"]
    assert field in errors


def test_body__not_an_object_is_422(call, deployed):
    _error(call("post", START, "clerk", json=[1, 2]), 422, "validation_error")
    _error(call("post", START, "clerk", json="text"), 422, "validation_error")


def test_body__odd_unicode_is_kept_as_is(call, deployed):
    odd = {"count": 0, "limit": 1, "nom": "محمد 👩🏽‍⚖️ \u202e\u200b", "\u00e9t\u00e9": "e\u0301t\u00e9", "nul": "a\x00b"}
    instance = start_loop(call, data=odd, business_key="ملف-١")
    again = call("get", f"/api/v1/process-instances/{instance['id']}", "clerk").get_json()
    assert again["data"] == odd and again["business_key"] == "ملف-١"
    found = call("get", "/api/v1/process-instances?business_key=ملف-١", "admin").get_json()
    assert found["total"] == 1


def test_body__over_the_limit_is_413(engine, tokens):
    app = create_app({**TEST_CONFIG, "MAX_UPLOAD_MB": 0.001}, engine=engine)
    users = app.extensions["diwan.users"]
    token = users.issue_token(users.get_user("amina")).token
    response = app.test_client().post(START, headers={"Authorization": f"Bearer {token}"},
                                      json={"data": {"x": "y" * 5000}})
    _error(response, 413, "too_large")


@pytest.mark.parametrize("query", ["page=0", "page=-1", "per_page=0", "per_page=501", "per_page=abc", "page=1.5",
                                   "page=99999999999999999999", "status=unknown", "assigned_to_me=maybe"])
def test_query__bad_pagination_and_filters_are_422(call, query):
    path = "/api/v1/tasks" if "assigned" in query else "/api/v1/process-instances"
    errors = _error(call("get", f"{path}?{query}", "admin"), 422, "validation_error")["errors"]
    assert query.split("=")[0] in errors


def test_query__largest_page_is_fine(call):
    assert call("get", "/api/v1/process-instances?per_page=500&page=2147483647", "admin").status_code == 200


def test_path__nul_in_path_or_query_is_400(call):
    _error(call("get", "/api/v1/process-instances/a%00b", "admin"), 400, "bad_request")
    _error(call("get", "/api/v1/tasks?definition_key=a%00", "admin"), 400, "bad_request")


def test_ids__unknown_are_404(call, deployed):
    for method, path in (("get", "/api/v1/tasks/nope"), ("post", "/api/v1/tasks/nope/claim"),
                         ("get", "/api/v1/process-instances/" + "x" * 300),
                         ("get", "/api/v1/process-definitions/%F0%9F%98%80"),
                         ("post", "/api/v1/process-definitions/nope/start")):
        _error(call(method, path, "admin", json={}), 404, "not_found")


def test_routes__unknown_is_404_and_wrong_method_is_405(call):
    _error(call("get", "/api/v1/nothing-here", None), 404, "not_found")
    _error(call("get", "/nothing", "admin"), 404, "not_found")
    response = call("delete", "/api/v1/tasks", "admin")
    _error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_auth__forbidden_and_unauthorized_shapes(call):
    _error(call("post", "/api/v1/users", "clerk", json={}), 403, "forbidden")
    _error(call("get", "/api/v1/tasks", None), 401, "unauthorized")


def test_auth__unauthenticated_bad_input_is_401_first(call):
    _error(call("post", START, None, data=b"{", content_type="application/json"), 401, "unauthorized")
