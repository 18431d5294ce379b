"""form-js `validate.pattern` on RE2: linear-time matching, JavaScript meaning, unsupported patterns refused at deploy."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import InvalidData, InvalidDefinition
from engine.forms.form_schema import FormValidator, check_form
from engine.forms.patterns import PatternError, compile_pattern


def _form(pattern: str, key: str = "code") -> dict:
    return {"id": "f", "components": [{"type": "textfield", "key": key, "validate": {"pattern": pattern}}]}


def _errors(form: dict, value: str) -> dict:
    with pytest.raises(InvalidData) as err:
        FormValidator(form).validate({"code": value})
    return err.value.errors


def test_a_catastrophic_pattern_checks_a_100000_character_value():
    # Python's backtracking re takes longer than the age of the universe on the failing value.
    form = _form("^(a+)+$")
    assert FormValidator(form).validate({"code": "a" * 100_000}) == {"code": "a" * 100_000}
    assert _errors(form, "a" * 100_000 + "!") == {"code": ["Must match pattern ^(a+)+$."]}


def test_nested_quantifiers_and_alternations_on_long_values():
    form = _form(r"^(\w+\s?)*$")
    assert _errors(form, "word " * 20_000 + "!") == {"code": [r"Must match pattern ^(\w+\s?)*$."]}
    form = _form("^(a|a)*b$")
    assert _errors(form, "a" * 100_000) == {"code": ["Must match pattern ^(a|a)*b$."]}


@pytest.mark.parametrize("pattern, reason", [
    (r"(a)\1", "backreferences"),
    (r"(?<x>a)\k<x>", "backreferences"),
    ("(?=a)a", "lookahead and lookbehind"),
    ("a(?!b)", "lookahead and lookbehind"),
    ("(?<=a)b", "lookahead and lookbehind"),
    ("(?<!a)b", "lookahead and lookbehind"),
    ("a{1001}", "repetition counts above 1000"),
    ("((a{100}){100}){100}", "repetition counts above 1000|too large"),
    ("([a-z", "missing ]"),
])
def test_a_pattern_re2_cannot_run_is_refused_naming_the_field(pattern, reason):
    problems = check_form(_form(pattern, key="cin"))
    assert len(problems) == 1 and problems[0].startswith(f"Component 'cin': invalid validate.pattern {pattern!r}")
    assert any(r in problems[0] for r in reason.split("|")), problems


def test_an_unsupported_pattern_is_refused_at_deploy(engine):
    content = json.dumps(_form(r"^(\d)\1$", key="cin")).encode()
    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("f.form", content)])
    assert [{k: p[k] for k in ("file", "element", "message")} for p in err.value.errors] == [{"file": "f.form", "element": "f", "message": (
        r"Component 'cin': invalid validate.pattern '^(\\d)\\1$': backreferences (\1, \k<name>) are not supported "
        "(form patterns run on RE2, which matches in linear time).")}]


@pytest.mark.parametrize("pattern, value, ok", [
    (r"^\u00e9t\u00E9$", "été", True),  # \uXXXX, as JavaScript writes accented letters
    (r"^[\u00C0-\u017F]+$", "Çàéîôü", True),
    (r"^[\u00C0-\u017F]+$", "abc", False),
    (r"^\d+$", "١٢٣", False),  # \d is ASCII in both
    (r"^\w+$", "café", False),  # \w too
    (r"^a\sb$", "a\u00a0b", True),  # JavaScript's \s includes the no-break space; RE2's does not
    (r"^a\Sb$", "a\u00a0b", False),
    (r"^a[\s]b$", "a\u202fb", True),
    (r"^a.b$", "a\rb", False),  # JavaScript's . stops at \r too
    (r"^a.b$", "a\u2028b", False),
    (r"^a.b$", "a-b", True),
    ("^abc$", "abc\n", False),  # $ is the end of the value (Python's re would accept the newline)
    ("[0-9]+", "abc123def", True),  # a search, like RegExp.test
    (r"^(?<year>\d{4})-\d{2}$", "2026-05", True),
    ("^a[^]b$", "a\nb", True),  # [^] is any character in JavaScript
    ("a[]b", "ab", False),  # [] matches nothing
    (r"^\/path$", "/path", True),
])
def test_javascript_meaning(pattern, value, ok):
    form = _form(pattern)
    assert check_form(form) == []
    if ok:
        assert FormValidator(form).validate({"code": value}) == {"code": value}
    else:
        assert _errors(form, value) == {"code": [f"Must match pattern {pattern}."]}


def test_compile_pattern_says_why():
    with pytest.raises(PatternError, match="lookahead"):
        compile_pattern("(?=x)")
    assert compile_pattern("^[A-Z]{1,2}[0-9]{5,6}$").search("AB123456")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
keys = st.sampled_from(["type", "key", "id", "validate", "values", "components", "path", "subtype", "conditional",
                        "disabled", "readonly", "decimalDigits", "serializeToString", "valuesKey"])
types = st.sampled_from(["textfield", "textarea", "number", "checkbox", "checklist", "taglist", "radio", "select",
                         "datetime", "group", "dynamiclist", "text", "expression", "filepicker", "mystery"])
component = st.dictionaries(keys, json_values | types, max_size=6)
forms = st.dictionaries(st.sampled_from(["id", "components", "name", "type"]),
                        json_values | st.lists(component, max_size=4) | st.just("f"), max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=forms, data=json_values)
def test_any_json_is_a_list_of_problems_or_a_validator_never_a_crash(form, data):
    problems = check_form(form)
    assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)
    try:
        validator = FormValidator(form)
    except ValueError:
        return
    try:
        validator.validate(data)
    except InvalidData:
        pass
