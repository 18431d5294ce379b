"""Tests for engine.definitions.literals: Camunda Modeler literals translated into Python."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.definitions.literals import (
    LiteralError,
    condition_to_python,
    feel_input_entry_to_python,
    feel_input_expression_to_python,
    feel_output_entry_to_python,
    parse_cycle,
    parse_iso_duration,
    timer_to_python,
)


def _eval(source: str, **names: Any) -> Any:
    """Evaluate generated Python the way the engine does: an expression over variables."""
    return eval(compile(source, "<generated>", "eval"), {"__builtins__": {}}, names)


def _dmn_matches(cell: str | None, value: Any, **data: Any) -> bool:
    """Run an input-entry through SpiffWorkflow's own DMN matcher with input expression 'v'."""
    task = SimpleNamespace(data={"v": value, **data},
                           workflow=SimpleNamespace(script_engine=PythonScriptEngine()))
    return DMNEngine(None).evaluate("v", cell, task)


# ------------------------------------------------------------------------ conditions: JUEL

JUEL_CASES = [
    # (condition, variables, expected value)
    ("${amount > 100 && urgent}", {"amount": 150, "urgent": True}, True),
    ("${amount > 100 && urgent}", {"amount": 150, "urgent": False}, False),
    ("${amount > 100 && urgent}", {"amount": 50, "urgent": True}, False),
    ("${a || b}", {"a": False, "b": True}, True),
    ("${a or b}", {"a": False, "b": False}, False),
    ("${a and b}", {"a": True, "b": True}, True),
    ("${!approved}", {"approved": False}, True),
    ("${not approved}", {"approved": True}, False),
    ("${status == 'done'}", {"status": "done"}, True),
    ('${status == "done"}', {"status": "open"}, False),
    ("${status eq 'done'}", {"status": "done"}, True),
    ("${status != 'done'}", {"status": "done"}, False),
    ("${status ne 'done'}", {"status": "open"}, True),
    ("${n lt 3}", {"n": 2}, True),
    ("${n le 3}", {"n": 3}, True),
    ("${n gt 3}", {"n": 3}, False),
    ("${n ge 3}", {"n": 3}, True),
    ("${n <= 3}", {"n": 4}, False),
    ("${n >= 3.5}", {"n": 3.5}, True),
    ("${x == null}", {"x": None}, True),
    ("${x != null}", {"x": 0}, True),
    ("${flag == true}", {"flag": True}, True),
    ("${flag == false}", {"flag": True}, False),
    ("${true}", {}, True),
    ("${false}", {}, False),
    ("${empty name}", {"name": ""}, True),
    ("${empty name}", {"name": None}, True),
    ("${empty items}", {"items": []}, True),
    ("${empty items}", {"items": {}}, True),
    ("${empty items}", {"items": [1]}, False),
    ("${empty name}", {"name": "x"}, False),
    ("${empty n}", {"n": 0}, False),
    ("${!empty name}", {"name": "x"}, True),
    ("${not empty name && ok}", {"name": "x", "ok": False}, False),
    ("${empty (a)}", {"a": ""}, True),
    ("${empty a || b}", {"a": "x", "b": True}, True),
    ("${a + b * 2 == 7}", {"a": 1, "b": 3}, True),
    ("${(a + b) * 2 == 8}", {"a": 1, "b": 3}, True),
    ("${a - b - c}", {"a": 10, "b": 3, "c": 2}, 5),
    ("${a / b}", {"a": 7, "b": 2}, 3.5),
    ("${a div b}", {"a": 7, "b": 2}, 3.5),
    ("${a % b}", {"a": 7, "b": 2}, 1),
    ("${a mod b}", {"a": 7, "b": 2}, 1),
    ("${-a < 0}", {"a": 1}, True),
    ("${a - -b}", {"a": 1, "b": 2}, 3),
    ("${a < b == c < d}", {"a": 1, "b": 2, "c": 5, "d": 3}, False),
    ("${a < b == true}", {"a": 1, "b": 2}, True),
    ("${a == b == false}", {"a": 1, "b": 2}, True),  # JUEL: (a == b) == false
    ("${!a == b}", {"a": True, "b": False}, True),  # JUEL: (!a) == b
    ("${!(a == b)}", {"a": 1, "b": 2}, True),
    ("${a || b && c}", {"a": True, "b": False, "c": False}, True),
    ("${(a || b) && c}", {"a": True, "b": False, "c": False}, False),
    ("${ 007 == 7 }", {}, True),
    ("${name == 'it\\'s'}", {"name": "it's"}, True),
    ('${name == "say \\"hi\\""}', {"name": 'say "hi"'}, True),
    ("${name == 'a\\\\b'}", {"name": "a\\b"}, True),
    ("${name == 'a.b'}", {"name": "a.b"}, True),
    ("${name == 'x(y)'}", {"name": "x(y)"}, True),
    ("${amount>100&&urgent}", {"amount": 101, "urgent": True}, True),
    ("  ${ amount > 1 }  ", {"amount": 2}, True),
    ("${_private1 == 1}", {"_private1": 1}, True),
]


@pytest.mark.parametrize(("text", "names", "expected"), JUEL_CASES)
def test_condition_to_python__juel_evaluates(text: str, names: dict[str, Any], expected: Any) -> None:
    source = condition_to_python(text)
    assert "${" not in source and "&&" not in source
    assert _eval(source, **names) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("${amount > 100 && urgent}", "amount > 100 and urgent"),
    ("${a lt b}", "a < b"),
    ("${x == null}", "x == None"),
    ("${s == \"a\"}", "s == 'a'"),
    ("${a < b == c}", "(a < b) == c"),
    ("${!a}", "(not a)"),
    ("${empty x}", "(x is None or x == '' or x == [] or x == {})"),
])
def test_condition_to_python__juel_source(text: str, expected: str) -> None:
    assert condition_to_python(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("${x.contains('a')}", "'.' after 'x'"),
    ("${foo(1)}", "'(' after 'foo'"),
    ("${a.b}", "'.' after 'a'"),
    ("${a ? b : c}", "'?' after 'a'"),
    ("${a[0]}", "'[' after 'a'"),
    ("${items[0] == 1}", "'[' after 'items'"),
    ("${x = 1}", "'=' after 'x'"),
    ("${(a}", "unexpected end"),
    ("${a)}", "')' after 'a'"),
    ("${a &&}", "unexpected end"),
    ("${&& a}", "'&&' at the start"),
    ("${a b}", "'b' after 'a'"),
    ("${}", "empty JUEL"),
    ("${   }", "empty JUEL"),
    ("#{a}", "deferred"),
    ("${a} && ${b}", "whole condition"),
    ("a ${b}", "whole condition"),
    ("${a} == 1", "whole condition"),
    ("${a ${b}}", "whole condition"),
    ("${x instanceof y}", "'instanceof' after 'x'"),
    ("${class == 1}", "reserved word"),
    ("${None == x}", "reserved word"),
    ("${empty}", "unexpected end"),
    ("${a & b}", "'&' after 'a'"),
    ("${a | b}", "'|' after 'a'"),
    ("${'abc}", "unterminated string"),
    ("${'a\\qb' == x}", "escape sequence"),
    ("${a ^ b}", "'^' after 'a'"),
    ("${a..b}", "'..' after 'a'"),
    ("${1.2.3}", "'.' after '1.2'"),
    ("${x == {}}", "'{' after '=='"),
    ("${a += 1}", "'=' after '+'"),
    ("${a; b}", "';' after 'a'"),
    ("${a > 1 && $b}", "'$' after '&&'"),
])
def test_condition_to_python__juel_refused(text: str, fragment: str) -> None:
    with pytest.raises(LiteralError) as info:
        condition_to_python(text)
    assert fragment in str(info.value)


def test_condition_to_python__juel_message_names_allowed_forms() -> None:
    with pytest.raises(LiteralError) as info:
        condition_to_python("${foo(1)}")
    assert "unsupported JUEL syntax '(' after 'foo'" in str(info.value)
    assert "only variables, literals, comparison" in str(info.value)


# ------------------------------------------------------------------------ conditions: Python

@pytest.mark.parametrize(("text", "names", "expected"), [
    ("amount > 100 and urgent", {"amount": 150, "urgent": True}, True),
    ("  status == 'done'  ", {"status": "done"}, True),
    ("len(items) == 0", {"items": [], "len": len}, True),
    ("x in ('a', 'b')", {"x": "b"}, True),
    ("not approved", {"approved": False}, True),
    ("True", {}, True),
    ("(a\n and b)", {"a": True, "b": True}, True),
    ("price * 1.2 >= 100", {"price": 100}, True),
])
def test_condition_to_python__python_kept(text: str, names: dict[str, Any], expected: Any) -> None:
    source = condition_to_python(text)
    assert source == text.strip()
    assert _eval(source, **names) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "amount > 100 && urgent", "a = 1", "x ==", "if x: y", "import os",
    "a; b", "(a", "lambda: )", "a b",
])
def test_condition_to_python__python_refused(text: str) -> None:
    with pytest.raises(LiteralError):
        condition_to_python(text)


def test_condition_to_python__literal_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        condition_to_python("a &&& b")


# ------------------------------------------------------------------------ timers

TIMER_LITERALS = [
    ("P15D", "timeDuration"), ("PT1H", "timeDuration"), ("PT30M", "timeDuration"),
    ("P1Y2M3DT4H5M6S", "timeDuration"), ("P2W", "timeDuration"), ("PT1.5S", "timeDuration"),
    ("P1M", "timeDuration"), ("P1Y", "timeDuration"), ("PT0S", "timeDuration"),
    ("P1DT12H", "timeDuration"), ("PT36H", "timeDuration"), ("P0D", "timeDuration"),
    ("2026-12-01T09:00:00+01:00", "timeDate"), ("2026-12-01T09:00:00Z", "timeDate"),
    ("2026-12-01T09:00Z", "timeDate"), ("2026-12-01T09:00:00.250-05:00", "timeDate"),
    ("2024-02-29T00:00:00+00:00", "timeDate"),
    ("R3/PT1H", "timeCycle"), ("R/P1D", "timeCycle"), ("R5/2026-12-01T09:00:00+01:00/P1D", "timeCycle"),
    ("R1/PT10M", "timeCycle"), ("R/2026-12-01T09:00:00Z/PT1.5S", "timeCycle"), ("R12/P1M", "timeCycle"),
]


@pytest.mark.parametrize(("text", "kind"), TIMER_LITERALS)
def test_timer_to_python__iso_literal(text: str, kind: str) -> None:
    source = timer_to_python(f"  {text} ", kind)
    assert source == repr(text)
    value = _eval(source)
    assert value == text
    # SpiffWorkflow itself must understand what we hand it.
    if kind == "timeDuration":
        TimerEventDefinition.parse_iso_duration(value)
    elif kind == "timeDate":
        TimerEventDefinition.get_datetime(value)
    else:
        TimerEventDefinition.parse_iso_recurring_interval(value)


@pytest.mark.parametrize(("text", "kind", "names", "expected"), [
    ("${due}", "timeDate", {"due": "2026-12-01T09:00:00Z"}, "2026-12-01T09:00:00Z"),
    ("${ wait_for }", "timeDuration", {"wait_for": "PT5M"}, "PT5M"),
    ("${cycle1}", "timeCycle", {"cycle1": "R/P1D"}, "R/P1D"),
    ('"PT5M"', "timeDuration", {}, "PT5M"),
    ("'R3/PT1H'", "timeCycle", {}, "R3/PT1H"),
    ("'2026-12-01T09:00:00+01:00'", "timeDate", {}, "2026-12-01T09:00:00+01:00"),
    ("u'P1D'", "timeDuration", {}, "P1D"),
    ("due_at", "timeDate", {"due_at": "2026-12-01T09:00:00Z"}, "2026-12-01T09:00:00Z"),
    ("PTime", "timeDuration", {"PTime": "PT1M"}, "PT1M"),
    ("'P%dD' % days", "timeDuration", {"days": 3}, "P3D"),
    ("f'PT{n}M'", "timeDuration", {"n": 5}, "PT5M"),
    ("start + '/P1D'", "timeCycle", {"start": "R2"}, "R2/P1D"),
    ("deadline if urgent else later", "timeDate", {"deadline": "a", "urgent": False, "later": "b"}, "b"),
])
def test_timer_to_python__expression(text: str, kind: str, names: dict[str, Any], expected: str) -> None:
    assert _eval(timer_to_python(text, kind), **names) == expected


@pytest.mark.parametrize(("text", "kind", "fragment"), [
    ("P15D", "timeDate", "is an ISO 8601 duration, but this is a timeDate"),
    ("P15D", "timeCycle", "is an ISO 8601 duration, but this is a timeCycle"),
    ("2026-12-01T09:00:00Z", "timeDuration", "date-time, but this is a timeDuration"),
    ("2026-12-01T09:00:00Z", "timeCycle", "date-time, but this is a timeCycle"),
    ("R3/PT1H", "timeDuration", "repeating interval, but this is a timeDuration"),
    ("R3/PT1H", "timeDate", "repeating interval, but this is a timeDate"),
    ("'P1D'", "timeDate", "duration, but this is a timeDate"),
    ("2026-12-01T09:00:00", "timeDate", "a date needs a UTC offset, e.g. 2026-12-01T09:00:00+01:00"),
    ("2026-12-01", "timeDate", "a date needs a UTC offset"),
    ("2026-12-01T09:00", "timeDate", "a date needs a UTC offset"),
    ("R5/2026-12-01T09:00:00/P1D", "timeCycle", "a date needs a UTC offset"),
    ("2026-13-01T09:00:00Z", "timeDate", "not a valid date-time"),
    ("2026-02-30T09:00:00Z", "timeDate", "not a valid date-time"),
    ("2026-12-01T09:00:00+0100", "timeDate", "not a valid ISO 8601 date-time"),
    ("2026-12-01 09:00:00Z", "timeDate", "not a valid ISO 8601 date-time"),
    ("2026-W01-1", "timeDate", "not a valid ISO 8601 date-time"),
    ("P", "timeDuration", "not a valid ISO 8601 duration"),
    ("PT", "timeDuration", "not a valid ISO 8601 duration"),
    ("PT5X", "timeDuration", "not a valid ISO 8601 duration"),
    ("P1DT", "timeDuration", "not a valid ISO 8601 duration"),
    ("PT1.5H", "timeDuration", "not a valid ISO 8601 duration"),
    ("P1.5D", "timeDuration", "not a valid ISO 8601 duration"),
    ("P1H", "timeDuration", "not a valid ISO 8601 duration"),
    ("PT1D", "timeDuration", "not a valid ISO 8601 duration"),
    ("P1D2Y", "timeDuration", "not a valid ISO 8601 duration"),
    ("P2W1D", "timeDuration", "weeks cannot have other components"),
    ("P-1D", "timeDuration", "neither an ISO 8601 duration"),
    ("'PT5X'", "timeDuration", "not a valid ISO 8601 duration"),
    ("'tomorrow'", "timeDate", "is not an ISO 8601 date-time"),
    ("5", "timeDuration", "must be an ISO 8601 string"),
    ("5 minutes", "timeDuration", "neither an ISO 8601 duration (e.g. PT30M"),
    ("in 5 minutes", "timeDuration", "neither an ISO 8601 duration"),
    ("R3/PT5X", "timeCycle", "not a valid ISO 8601 duration"),
    ("R0/PT1H", "timeCycle", "at least 1"),
    ("R3", "timeCycle", "not a valid ISO 8601 repeating interval"),
    ("R3/", "timeCycle", "not a valid ISO 8601 duration"),
    ("R3/PT1H/2026-12-01T09:00:00Z", "timeCycle", "date-time"),
    ("R3/a/b/c", "timeCycle", "not a valid ISO 8601 repeating interval"),
    ("0 0 9 * * ?", "timeDuration", "is a cron expression: it belongs in a timeCycle"),
    ("0 0/5 * * * MON-FRI", "timeCycle", "exactly one of day-of-month and day-of-week must be '?'"),
    ("${a.b}", "timeDate", "only '${variable}' is supported"),
    ("${a + b}", "timeDate", "only '${variable}' is supported"),
    ("${}", "timeDate", "only '${variable}' is supported"),
    ("${if}", "timeDate", "only '${variable}' is supported"),
    ("#{due}", "timeDate", "only '${variable}' is supported"),
    ("x${due}", "timeDate", "only '${variable}' is supported"),
    ("", "timeDuration", "empty timeDuration timer"),
    ("   ", "timeCycle", "empty timeCycle timer"),
])
def test_timer_to_python__refused(text: str, kind: str, fragment: str) -> None:
    with pytest.raises(LiteralError) as info:
        timer_to_python(text, kind)
    assert fragment in str(info.value)


@pytest.mark.parametrize("kind", ["date", "timedate", "", "cycle"])
def test_timer_to_python__unknown_kind(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown timer kind"):
        timer_to_python("PT5M", kind)


ZERO = dict(years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0)


@pytest.mark.parametrize(("text", "expected"), [
    ("P15D", {"days": 15}),
    ("PT1H", {"hours": 1}),
    ("PT30M", {"minutes": 30}),
    ("P1M", {"months": 1}),
    ("P1Y2M3DT4H5M6S", {"years": 1, "months": 2, "days": 3, "hours": 4, "minutes": 5, "seconds": 6}),
    ("P2W", {"weeks": 2}),
    ("PT1.5S", {"seconds": 1.5}),
    ("PT1,5S", {"seconds": 1.5}),
    ("PT0S", {}),
])
def test_parse_iso_duration__valid(text: str, expected: dict[str, float]) -> None:
    assert parse_iso_duration(text) == {**ZERO, **expected}


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "PT1.5M", "1D", "p1d", "P1D ", "P2W3D", "PT1H1H", "P1S"])
def test_parse_iso_duration__invalid(text: str) -> None:
    with pytest.raises(LiteralError):
        parse_iso_duration(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("R3/PT1H", (3, None, "PT1H")),
    ("R/P1D", (None, None, "P1D")),
    ("R5/2026-12-01T09:00:00+01:00/P1D", (5, "2026-12-01T09:00:00+01:00", "P1D")),
    ("R10/2026-12-01T09:00:00Z/PT15M", (10, "2026-12-01T09:00:00Z", "PT15M")),
])
def test_parse_cycle__valid(text: str, expected: tuple[int | None, str | None, str]) -> None:
    assert parse_cycle(text) == expected


@pytest.mark.parametrize("text", [
    "", "R", "R3", "PT1H", "R3/", "R0/PT1H", "Rx/PT1H", "R-1/PT1H", "R3/PT1H/P1D", "R3//PT1H",
    "R3/2026-12-01T09:00:00/P1D", "R3/PT1H/2026-12-01T09:00:00Z", "3/PT1H",
])
def test_parse_cycle__invalid(text: str) -> None:
    with pytest.raises(LiteralError):
        parse_cycle(text)


# ------------------------------------------------------------------------ DMN input entries

INPUT_ENTRY_CASES = [
    # (cell, matching values, non-matching values)
    ("< 10", [9, 9.99, -5], [10, 11]),
    ("<= 10", [10, 0], [10.5]),
    ("> 2", [3], [2, 1]),
    (">= 2.5", [2.5, 3], [2.4]),
    ("= \"a\"", ["a"], ["b", "A"]),
    ("!= \"a\"", ["b"], ["a"]),
    ("= 5", [5, 5.0], [4]),
    ("< -5", [-6], [-5, 0]),
    ("[1..5]", [1, 3, 5], [0, 6, 5.5]),
    ("]1..5[", [2, 4.9], [1, 5]),
    ("(1..5)", [2], [1, 5]),
    ("[1..5)", [1, 4], [5]),
    ("[1..5[", [1], [5]),
    ("(1..5]", [5], [1]),
    ("[-5..-1]", [-5, -3], [0, -6]),
    ("[0.5..1.5]", [1], [2]),
    ('["a".."c"]', ["b", "a", "c"], ["d"]),
    ("42", [42, 42.0], [41]),
    ("-1", [-1], [1]),
    ("2.5", [2.5], [2]),
    ('"approved"', ["approved"], ["rejected", ""]),
    ('"a","b"', ["a", "b"], ["c"]),
    ('"a", "b", "c"', ["c"], ["d"]),
    ('"a,b"', ["a,b"], ["a", "b"]),
    ('"a,b","c"', ["a,b", "c"], ["a"]),
    ("< 10, > 20", [5, 25], [15, 10, 20]),
    ("[1..2], [5..6]", [1, 6], [3]),
    ("true", [True], [False, None]),
    ("false", [False], [True]),
    ("null", [None], [0, "", False]),
    ("= null", [None], [0]),
    ("!= null", [0, ""], [None]),
    ('not("x")', ["y", None], ["x"]),
    ('not("a","b")', ["c"], ["a", "b"]),
    ("not(< 10)", [10, 11], [9]),
    ("not([1..5])", [0, 6], [3]),
    ("not(null)", [1], [None]),
    ('"why?"', ["why?"], ["why"]),
    ('"it\'s"', ["it's"], ["its"]),
    ('"say \\"hi\\""', ['say "hi"'], ["say hi"]),
    ('"?", "x"', ["?", "x"], ["y"]),
    ("", [1, None, "x"], []),
    ("-", [1, None, "x"], []),
    ("   ", [1], []),
]


@pytest.mark.parametrize(("cell", "matching", "others"), INPUT_ENTRY_CASES)
def test_feel_input_entry_to_python__semantics(cell: str, matching: list[Any], others: list[Any]) -> None:
    source = feel_input_entry_to_python(cell)
    assert source is None or "?" in source
    for value in matching:
        assert _dmn_matches(source, value), (cell, source, value)
    for value in others:
        assert not _dmn_matches(source, value), (cell, source, value)


@pytest.mark.parametrize(("cell", "names", "matching", "others"), [
    ("limit", {"limit": 7}, [7], [8]),
    ("< limit", {"limit": 7}, [6], [7]),
    ("= other_status", {"other_status": "x"}, ["x"], ["y"]),
    ("[low..high]", {"low": 1, "high": 3}, [2], [4]),
    ("a, b", {"a": 1, "b": 2}, [1, 2], [3]),
    ("not(a)", {"a": 1}, [2], [1]),
])
def test_feel_input_entry_to_python__names(cell: str, names: dict[str, Any], matching: list[Any],
                                           others: list[Any]) -> None:
    source = feel_input_entry_to_python(cell)
    for value in matching:
        assert _dmn_matches(source, value, **names)
    for value in others:
        assert not _dmn_matches(source, value, **names)


@pytest.mark.parametrize(("cell", "expected"), [
    ("< 10", "? < 10"),
    ("= \"a\"", "? == 'a'"),
    ("[1..5]", "(1 <= ? <= 5)"),
    ("]1..5[", "(1 < ? < 5)"),
    ('"a","b"', "(? == 'a' or ? == 'b')"),
    ('not("a","b")', "not (? == 'a' or ? == 'b')"),
    ("true", "? == True"),
    ("null", "? is None"),
    ("x", "? == x"),
    ("-", None),
    ("007", "? == 7"),
])
def test_feel_input_entry_to_python__source(cell: str, expected: str | None) -> None:
    assert feel_input_entry_to_python(cell) == expected


@pytest.mark.parametrize(("cell", "fragment"), [
    ('date("2026-01-01")', "FEEL functions such as date(...) are not supported"),
    ('< date("2026-01-01")', "FEEL functions"),
    ('[date("2026-01-01")..date("2026-02-01")]', "FEEL functions"),
    ("starts with(\"a\")", "'with' after 'starts'"),
    ("abs(x)", "FEEL functions"),
    ("a and b", "'and' after 'a'"),
    ("a or b", "'or' after 'a'"),
    ("< 10 and > 5", "'and' after '10'"),
    ("< x + 1", "'+' after 'x'"),
    ("x * 2", "'*' after 'x'"),
    ("== 'x'", "FEEL uses '=' for equality"),
    ("== 1", "FEEL uses '=' for equality"),
    ("'x'", "FEEL strings use double quotes"),
    ("in ('a','b')", "'in' at the start"),
    ("4 < ? < 6", "'<' after '4'"),
    ("? < 6", "'?' at the start"),
    ("<", "unexpected end"),
    ("< ", "unexpected end"),
    ("[1..5", "unexpected end"),
    ("[1 5]", "'5' after '1'"),
    ("[1..5}", "an interval ends with"),
    ("[true..false]", "'true'"),
    ("[null..1]", "'null'"),
    ("< true", "'true'"),
    ("< null", "'null'"),
    ("not(\"x\"", "unexpected end"),
    ('"a",', "unexpected end"),
    (',"a"', "',' at the start"),
    ('"a" "b"', "'\"b\"' after '\"a\"'"),
    ('"a", not("b")', "'not' after ','"),
    ("not", "'not' at the start"),
    ("-x", "'-' at the start"),
    ("a.b", "'.' after 'a'"),
    ("x[0]", "'[' after 'x'"),
    ("(1)", "')' after '1'"),
    ("class", "'class'"),
    ('"abc', "unterminated string"),
    ("> = 5", "'=' after '>'"),
    ("if x then 1 else 2", "'if' at the start"),
    ("some x in y satisfies x", "'some' at the start"),
])
def test_feel_input_entry_to_python__refused(cell: str, fragment: str) -> None:
    with pytest.raises(LiteralError) as info:
        feel_input_entry_to_python(cell)
    assert fragment in str(info.value)
    assert repr(cell.strip()) in str(info.value) or "unterminated" in str(info.value)


# ------------------------------------------------------------------------ DMN output entries

@pytest.mark.parametrize(("cell", "names", "expected"), [
    ('"approved"', {}, "approved"),
    ('  "with space" ', {}, "with space"),
    ('"it\'s"', {}, "it's"),
    ('"a\\"b"', {}, 'a"b'),
    ('"line\\nbreak"', {}, "line\nbreak"),
    ("42", {}, 42),
    ("-42", {}, -42),
    ("0.5", {}, 0.5),
    ("true", {}, True),
    ("false", {}, False),
    ("null", {}, None),
    ("", {}, None),
    ("   ", {}, None),
    ("amount", {"amount": 10}, 10),
    ("amount * 0.5", {"amount": 10}, 5.0),
    ("amount * rate + fee", {"amount": 10, "rate": 2, "fee": 1}, 21),
    ("(amount + fee) * 2", {"amount": 10, "fee": 1}, 22),
    ("base - -1", {"base": 1}, 2),
    ("total / 4", {"total": 10}, 2.5),
    ('"prefix-" + code', {"code": "X"}, "prefix-X"),
])
def test_feel_output_entry_to_python__evaluates(cell: str, names: dict[str, Any], expected: Any) -> None:
    source = feel_output_entry_to_python(cell)
    assert _eval(source, **names) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ('"approved"', "'approved'"), ("42", "42"), ("true", "True"), ("null", "None"),
    ("amount", "amount"), ("amount * 0.5", "amount * 0.5"), ("", "None"),
])
def test_feel_output_entry_to_python__source(cell: str, expected: str) -> None:
    assert feel_output_entry_to_python(cell) == expected


@pytest.mark.parametrize("cell", [
    "'approved'", "a = 1", "a == 1", "a > 1", "a and b", "not(a)", "upper(x)", "a.b", "[1, 2]",
    '"a" "b"', "x if y else z", "a %  2", "-", "(a", "a)", '"open', "{}", "a ** 2", "#x",
])
def test_feel_output_entry_to_python__refused(cell: str) -> None:
    with pytest.raises(LiteralError):
        feel_output_entry_to_python(cell)


# ------------------------------------------------------------------------ DMN input expressions

@pytest.mark.parametrize(("text", "names", "expected"), [
    ("amount", {"amount": 5}, 5),
    ("  amount  ", {"amount": 5}, 5),
    ("amount * 1.2", {"amount": 10}, 12.0),
    ("age >= 18", {"age": 18}, True),
    ("age >= 18 and not(blocked)", {"age": 20, "blocked": False}, True),
    ("age >= 18 and not(blocked)", {"age": 20, "blocked": True}, False),
    ("status = \"open\" or urgent", {"status": "done", "urgent": True}, True),
    ("status != \"open\"", {"status": "done"}, True),
    ("a < b = true", {"a": 1, "b": 2}, True),
    ("a = b = false", {"a": 1, "b": 2}, True),
    ("x = null", {"x": None}, True),
    ("-x + 1", {"x": 3}, -2),
    ("(a + b) * c", {"a": 1, "b": 2, "c": 3}, 9),
    ("not(a or b)", {"a": False, "b": False}, True),
    ("\"x\"", {}, "x"),
    ("42", {}, 42),
])
def test_feel_input_expression_to_python__evaluates(text: str, names: dict[str, Any], expected: Any) -> None:
    assert _eval(feel_input_expression_to_python(text), **names) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("amount", "amount"),
    ("a = b", "a == b"),
    ("age >= 18 and not(blocked)", "age >= 18 and (not blocked)"),
])
def test_feel_input_expression_to_python__source(text: str, expected: str) -> None:
    assert feel_input_expression_to_python(text) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "a == b", "a && b", "!a", "a.b", "upper(name)", "date(\"2026-01-01\")", "'x'",
    "a ? b : c", "a[0]", "not a", "if a then b else c", "a in (1, 2)", "x = ", "(a", "a b",
])
def test_feel_input_expression_to_python__refused(text: str) -> None:
    with pytest.raises(LiteralError):
        feel_input_expression_to_python(text)


# ------------------------------------------------------------------------ robustness

_JUEL_VOCABULARY = ["a", "b", "1", "2.5", "'s'", '"t"', "true", "null", "==", "!=", "<", ">=", "&&", "||",
                    "!", "not", "and", "eq", "lt", "empty", "+", "-", "*", "/", "%", "div", "(", ")",
                    ".", "?", ":", "[", "]", ",", "="]
_FEEL_VOCABULARY = ["a", "b", "1", "2.5", '"s"', "'t'", "true", "null", "=", "!=", "<", ">=", "and",
                    "or", "not", "(", ")", "[", "]", "..", ",", "-", "+", "*", "/", "date", "?"]


@pytest.mark.parametrize("seed", range(5))
def test_translators__random_input_compiles_or_is_refused(seed: int) -> None:
    import random

    rng = random.Random(seed)
    translators = [
        (lambda t: condition_to_python("${" + t + "}"), _JUEL_VOCABULARY),
        (feel_input_expression_to_python, _FEEL_VOCABULARY),
        (feel_output_entry_to_python, _FEEL_VOCABULARY),
        (lambda t: (feel_input_entry_to_python(t) or "True").replace("?", "v"), _FEEL_VOCABULARY),
    ]
    accepted = 0
    for translate, vocabulary in translators:
        for _ in range(400):
            text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 6)))
            try:
                source = translate(text)
            except LiteralError:
                continue
            compile(source, "<generated>", "eval")  # anything accepted must be valid Python
            accepted += 1
    assert accepted > 0


@pytest.mark.parametrize("text", ["${a}}", "${{a}}", "${a}${b}", "$ {a}", "${a}\n${b}"])
def test_condition_to_python__malformed_braces(text: str) -> None:
    with pytest.raises(LiteralError):
        condition_to_python(text)
