"""What callers hand to commands is checked against the value domain before anything runs:
start data, task submissions, messages. A refusal names each field's path and the reason,
and leaves nothing behind."""
from __future__ import annotations

import pytest

from engine import Actor, InvalidData
from tests.conftest import fixture_files

CLERK = Actor("amina", ("clerks",), ("clerk",))


def _nested(depth: int):
    value = "bottom"
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def deployed(engine):
    engine.deploy(fixture_files("loop.bpmn", "event_gateway.bpmn"))
    return engine


def _refusal(fn) -> InvalidData:
    with pytest.raises(InvalidData) as info:
        fn()
    return info.value


@pytest.mark.parametrize("data, path, words", [
    ({"deep": _nested(300)}, "deep[0]", "nests deeper than 64"),
    ({"n": 2 ** 64}, "n", "beyond the 64-bit range"),
    ({"n": -(2 ** 63) - 1}, "n", "beyond the 64-bit range"),
    ({"rows": [{"name": "ok"}, {"name": "\ud800"}]}, "rows[1].name", "lone surrogate (U+D800)"),
    ({"tags": {"a", "b"}}, "tags", "sets are not JSON values"),
    ({"x": float("nan")}, "x", "NaN and infinities"),
    ({"blob": b"\x00\x01"}, "blob", "bytes are not JSON values"),
])
def test_start__values_outside_the_domain_are_refused_by_path_and_nothing_starts(deployed, data, path, words):
    error = _refusal(lambda: deployed.start("loop", {"count": 0, "limit": 1, **data}, actor=CLERK))
    assert error.code == "validation_error"
    [(got_path, [reason])] = error.errors.items()
    assert got_path.startswith(path) and words in reason, error.errors
    assert deployed.list_instances().total == 0


def test_start__every_refused_field_is_named(deployed):
    error = _refusal(lambda: deployed.start("loop", {"count": 0, "limit": 1, "a": 2 ** 70, "b": {"c": {1, 2}}}))
    assert set(error.errors) == {"a", "b.c"}
    assert "a: " in error.message and "b.c: " in error.message


def test_start__tuples_are_kept_as_lists_and_64_bit_integers_as_integers(deployed):
    instance = deployed.start("loop", {"count": 0, "limit": 1, "pair": (1, 2), "big": 2 ** 63 - 1})
    assert instance.data["pair"] == [1, 2]
    assert deployed.get_instance(instance.id).data["big"] == 2 ** 63 - 1


def test_start__a_business_key_with_a_lone_surrogate_is_refused(deployed):
    error = _refusal(lambda: deployed.start("loop", {"count": 0, "limit": 1}, business_key="REC-\udc00"))
    assert list(error.errors) == ["business_key"] and "lone surrogate" in error.errors["business_key"][0]
    assert deployed.list_instances().total == 0


@pytest.mark.parametrize("key, reason", [("K" * 256, "At most 255 characters."), ("K\x00", "Must not contain NUL."),
                                         (42, "Must be text.")])
def test_start__a_business_key_the_database_cannot_store_is_refused(deployed, key, reason):
    error = _refusal(lambda: deployed.start("loop", {"count": 0, "limit": 1}, business_key=key))
    assert error.errors == {"business_key": [reason]}


def test_start__data_larger_than_an_instance_may_hold_is_refused(deployed):
    data = {f"part{i}": "x" * 200_000 for i in range(6)}  # each under the per-variable limit, 1.2 MB together
    error = _refusal(lambda: deployed.start("loop", {"count": 0, "limit": 1, **data}))
    assert list(error.errors) == ["data"] and "an instance may hold" in error.errors["data"][0]


def test_complete__refused_data_leaves_the_task_ready(deployed):
    instance = deployed.start("loop", {"count": 0, "limit": 1})
    task = deployed.list_tasks(see_all=True, instance_id=instance.id).items[0]
    error = _refusal(lambda: deployed.complete_task(task.id, {"note": "\udfff", "n": 2 ** 80}, actor=CLERK))
    assert set(error.errors) == {"note", "n"}
    assert deployed.get_task(task.id).state == "ready"
    assert [e.type for e in deployed.history(instance.id)][-1] != "task_completed"


def test_complete__not_offered_is_forbidden_before_the_data_is_looked_at(deployed):
    from engine import Forbidden

    instance = deployed.start("loop", {"count": 0, "limit": 1})
    task = deployed.list_tasks(see_all=True, instance_id=instance.id).items[0]
    with pytest.raises(Forbidden):
        deployed.complete_task(task.id, {"n": 2 ** 80}, actor=Actor("karim", ("finance",), ("clerk",)))


def test_correlate__refused_message_data_reaches_nobody(deployed):
    instance = deployed.start("ebg", business_key="M-1")
    error = _refusal(lambda: deployed.correlate("reply", "M-1", {"answer": _nested(100)}))
    assert list(error.errors)[0].startswith("answer")
    assert deployed.get_instance(instance.id).active_elements == instance.active_elements
    error = _refusal(lambda: deployed.correlate("reply", "M-\ud800", {}))
    assert list(error.errors) == ["correlation_key"]
    assert deployed.correlate("reply", "M-1", {"answer": 2 ** 63 - 1}) == [instance.id]
    assert deployed.get_instance(instance.id).data["answer"] == 2 ** 63 - 1


def test_inputs__data_that_is_not_an_object_is_refused(deployed):
    error = _refusal(lambda: deployed.start("loop", ["count", 0]))
    assert error.errors == {"data": ["Must be an object."]}
