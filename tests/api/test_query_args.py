"""The query arguments as the API's parser reads them (api/blueprint.py `QueryArgs`): the same
values as werkzeug's MultiDict, without its exception per absent key."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from api.blueprint import QueryArgs


def test_query_args__first_value_all_values_and_absent_keys_like_a_multidict():
    source = MultiDict([("status", "running"), ("status", "failed"), ("page", "2"), ("empty", "")])
    args = QueryArgs(source)
    for key in ("status", "page", "empty", "absent"):
        assert args.get(key) == source.get(key)
        assert args.get(key, "d") == source.get(key, "d")
        assert args.getlist(key) == source.getlist(key)
        assert (key in args) == (key in source)
    assert sorted(args) == sorted(source.keys())
    args.getlist("status").append("x")  # a copy: the arguments stay as sent
    assert args.getlist("status") == ["running", "failed"]


def test_query_args__read_and_checked_through_the_api(call):
    read = call("get", "/api/v1/tasks?per_page=1&page=1")
    assert read.status_code == 200 and read.json["per_page"] == 1, read.json
    wrong = call("get", "/api/v1/tasks?per_page=x")
    assert wrong.status_code == 422 and wrong.json["errors"] == {"per_page": ["Not a valid integer."]}, wrong.json
