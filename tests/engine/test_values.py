"""The variable value domain: what is kept, what is refused and how the refusal reads."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from engine.values import MAX_DEPTH, InvalidValue, ValueLimits, check_variables


def refusal(value, **kwargs) -> InvalidValue:
    with pytest.raises(InvalidValue) as info:
        check_variables({"v": value}, **kwargs)
    return info.value


def test_json_values_decimals_and_dates_are_kept_as_they_are():
    value = {"a": [1, 2.5, "é", None, True], "d": Decimal("12.30"), "day": date(2026, 1, 2),
             "at": datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc), "big": 2 ** 63 - 1, "neg": -(2 ** 63)}
    variables = {"v": value}
    out = check_variables(variables)
    assert out == variables and out["v"] is value


def test_tuples_become_lists_at_any_depth():
    out = check_variables({"v": {"pair": (1, (2, 3))}, "t": (4,)})
    assert out == {"v": {"pair": [1, [2, 3]]}, "t": [4]}
    assert type(out["v"]["pair"]) is list and type(out["v"]["pair"][1]) is list


def _self_containing():
    items = [1]
    items.append(items)
    return items


def _generator():
    return (i for i in range(3))


@pytest.mark.parametrize("value, path, words", [
    ({1, 2}, "v", "sets are not JSON values"),
    (frozenset(), "v", "sets are not JSON values"),
    (b"bytes", "v", "bytes are not JSON values"),
    (range(3), "v", "a range is not a JSON value"),
    (_generator(), "v", "iterator"),
    (len, "v", "functions and classes cannot be stored"),
    (lambda: 1, "v", "functions and classes cannot be stored"),
    (ValueError("x"), "v", "an exception (ValueError)"),
    (float("nan"), "v", "NaN and infinities"),
    (float("inf"), "v", "NaN and infinities"),
    (2 ** 63, "v", "beyond the 64-bit range"),
    (-(2 ** 63) - 1, "v", "beyond the 64-bit range"),
    ({"k": {1: "a"}}, "v.k", "keys must be text, not int"),
    ({"a b": [0, "\ud800"]}, "v['a b'][1]", "lone surrogate (U+D800)"),
    ({"\udfff": 1}, "v (a key)", "lone surrogate (U+DFFF)"),
    (Decimal("NaN"), "v", "cannot be stored"),
    (Decimal("Infinity"), "v", "cannot be stored"),
    (Decimal("1e100000000"), "v", "too large or too precise"),
    ([[1, {"x": object()}]], "v[0][1].x", "type object cannot be stored"),
])
def test_values_outside_the_domain_are_refused_with_their_path(value, path, words):
    error = refusal(value)
    assert error.path == path
    assert words in error.reason
    assert str(error) == f"{path}: {error.reason}"


def test_nesting_is_bounded_and_a_list_containing_itself_is_refused():
    deep = current = []
    for _ in range(MAX_DEPTH - 1):
        current.append([])
        current = current[0]
    assert check_variables({"v": deep})["v"] is deep
    assert "deeper than" in refusal([deep]).reason
    error = refusal(_self_containing())
    assert "deeper than" in error.reason and len(error.path) <= 100


def test_one_variable_is_limited_in_size():
    limits = ValueLimits(max_variable_bytes=1000)
    check_variables({"v": "x" * 990}, limits)
    error = refusal("x" * 1000, limits=limits)
    assert "1002 bytes, more than the 1000 allowed" in error.reason
    assert "more than" in refusal([{"k": "y" * 600}, "z" * 600], limits=limits).reason


def test_names_must_be_non_empty_text():
    with pytest.raises(InvalidValue, match="names must be text"):
        check_variables({1: "a"})
    with pytest.raises(InvalidValue, match="must not be empty"):
        check_variables({"": "a"})


def test_a_value_built_of_shared_parts_is_measured_written_out_and_never_walked_past_the_limit():
    value = ["x" * 100]
    for _ in range(40):  # 2**40 copies of the text once written out, 41 lists in memory
        value = [value, value]
    with pytest.raises(InvalidValue, match="takes more than 524288 bytes"):
        check_variables({"v": value})


def test_keys_must_not_hold_nul_characters():
    assert "NUL characters" in refusal({"a\x00b": 1}).reason
    assert "NUL characters" in refusal({"é\x00": 1}).reason
