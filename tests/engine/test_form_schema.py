"""Tests of engine.forms.form_schema: form-js schema checks and submission validation."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.errors import InvalidData
from engine.forms.form_schema import REQUIRED, FormValidator, check_form, form_key

FORMS = Path(__file__).parent / "forms"


def _form(*components: dict) -> dict:
    return {"id": "F", "type": "default", "schemaVersion": 16, "components": list(components)}


def _errors(form: dict, data: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidData) as info:
        FormValidator(form).validate(data, **kwargs)
    assert info.value.code == "validation_error"
    return info.value.errors


def _one(type_: str, **props: Any) -> dict:
    return _form({"type": type_, "key": "f", "id": "Field_f", **props})


# -- form_key ----------------------------------------------------------------------------------

def test_form_key__returns_id():
    assert form_key(_form()) == "F"


@pytest.mark.parametrize("form", [{}, {"id": ""}, {"id": 3}, [], None])
def test_form_key__without_id_raises(form):
    with pytest.raises(ValueError):
        form_key(form)


# -- check_form ---------------------------------------------------------------------------------

def test_check_form__valid_form_has_no_problems():
    form = _form(
        {"type": "text", "text": "# Hello"}, {"type": "html", "content": "<b>x</b>"},
        {"type": "image", "source": "x.png"}, {"type": "spacer"}, {"type": "separator"},
        {"type": "textfield", "key": "a.b", "validate": {"minLength": 1, "maxLength": "=limit", "pattern": "^x"}},
        {"type": "number", "key": "n", "validate": {"min": 0, "max": "10"}, "decimalDigits": 2},
        {"type": "select", "key": "s", "valuesKey": "options"},
        {"type": "radio", "key": "r", "valuesExpression": "=opts"},
        {"type": "group", "path": "a", "components": [{"type": "textfield", "key": "c"}]},
        {"type": "group", "components": [{"type": "checkbox", "key": "flat"}]},
        {"type": "dynamiclist", "path": "items", "isRepeating": True, "components": [{"type": "textfield", "key": "c"}]},
        {"type": "expression", "key": "total", "expression": "=1+1", "computeOn": "change"},
        {"type": "filepicker", "key": "files"}, {"type": "button", "action": "submit"},
    )
    assert check_form(form) == []


@pytest.mark.parametrize(("form", "expected"), [
    ("nope", "Form must be a JSON object."),
    ({"components": []}, "Form has no 'id'."),
    ({"id": "F", "components": {}}, "Form 'components' must be a list."),
    ({"id": "F"}, "Form 'components' must be a list."),
    (_form("x"), "Component #0: not an object."),
    (_form({"type": "widget", "id": "W1"}), "Component 'W1': unknown type 'widget'."),
    (_form({"type": "textfield", "id": "T1"}), "Component 'T1': textfield has no 'key'."),
    (_form({"type": "filepicker", "id": "P1"}), "Component 'P1': filepicker has no 'key'."),
    (_form({"type": "textfield", "key": "a b"}), "Component 'a b': textfield has an invalid 'key'"),
    (_form({"type": "textfield", "key": "x"}, {"type": "number", "key": "x"}), "Component 'x': duplicate key 'x'."),
    (_form({"type": "textfield", "key": "x"}, {"type": "textfield", "key": "x.y"}),
     "Component 'x.y': key or path 'x.y' conflicts with another field."),
    (_form({"type": "textfield", "key": "x"}, {"type": "group", "id": "G", "path": "x", "components": []}),
     "Component 'G': key or path 'x' conflicts with another field."),
    (_form({"type": "group", "path": "g", "components": [{"type": "textfield", "key": "k"}]},
           {"type": "textfield", "key": "g.k"}), "Component 'g.k': duplicate key 'g.k'."),
    (_form({"type": "textfield", "key": "a", "id": "A"}, {"type": "textfield", "key": "b", "id": "A"}),
     "Component 'b': duplicate id 'A'."),
    (_form({"type": "textfield", "key": "p", "validate": {"pattern": "([a-z"}}), "Component 'p': invalid validate.pattern"),
    (_form({"type": "number", "key": "n", "validate": {"min": 5, "max": 1}}),
     "Component 'n': validate.min (5) is greater than validate.max (1)."),
    (_form({"type": "textarea", "key": "t", "validate": {"minLength": 10, "maxLength": 3}}),
     "Component 't': validate.minLength (10) is greater than validate.maxLength (3)."),
    (_form({"type": "textfield", "key": "t", "validate": {"minLength": -1}}), "Component 't': validate.minLength must be"),
    (_form({"type": "textfield", "key": "t", "validate": {"maxLength": 2.5}}), "Component 't': validate.maxLength must be"),
    (_form({"type": "number", "key": "n", "validate": {"max": "lots"}}), "Component 'n': validate.max must be a number"),
    (_form({"type": "number", "key": "n", "decimalDigits": -2}), "Component 'n': decimalDigits must be"),
    (_form({"type": "textfield", "key": "t", "validate": {"validationType": "iban"}}),
     "Component 't': unknown validate.validationType 'iban'."),
    (_form({"type": "textfield", "key": "t", "validate": "required"}), "Component 't': 'validate' must be an object."),
    (_form({"type": "select", "key": "s"}), "Component 's': select needs 'values', 'valuesKey' or 'valuesExpression'."),
    (_form({"type": "radio", "key": "r", "values": []}), "Component 'r': radio needs"),
    (_form({"type": "checklist", "key": "c", "values": "a,b"}), "Component 'c': checklist needs"),
    (_form({"type": "taglist", "key": "t"}), "Component 't': taglist needs"),
    (_form({"type": "datetime", "key": "d", "subtype": "week"}), "Component 'd': unknown datetime subtype 'week'."),
    (_form({"type": "dynamiclist", "id": "L", "components": []}), "Component 'L': dynamiclist needs a 'path'."),
    (_form({"type": "group", "id": "G", "path": "a..b", "components": []}), "Component 'G': invalid path 'a..b'"),
    (_form({"type": "group", "id": "G", "components": {}}), "Component 'G': 'components' must be a list."),
    (_form({"type": "dynamiclist", "id": "L", "path": 5, "components": []}), "Component 'L': invalid path 5"),
    (_form({"type": "group", "path": "g", "components": [{"type": "number", "id": "N"}]}),
     "Component 'N': number has no 'key'."),
])
def test_check_form__reports_problem(form, expected):
    assert any(p.startswith(expected) for p in check_form(form)), check_form(form)


def test_check_form__reports_every_problem():
    form = _form({"type": "textfield", "id": "A"}, {"type": "number", "key": "n", "validate": {"min": 3, "max": 1}},
                 {"type": "mystery", "id": "M"})
    assert len(check_form(form)) == 3


# -- FormValidator: construction ------------------------------------------------------------------

@pytest.mark.parametrize("form", ["x", {"id": "F"}, {"id": "F", "components": "no"}])
def test_form_validator__rejects_non_form(form):
    with pytest.raises(ValueError):
        FormValidator(form)


def test_form_validator__tolerates_deploy_problems():
    form = _form({"type": "mystery", "key": "m"}, {"type": "textfield", "key": "t", "validate": {"pattern": "(["}},
                 {"type": "select", "key": "s"})
    assert FormValidator(form).validate({"t": "anything", "s": "any"}) == {"t": "anything", "s": "any"}


def test_form_validator__is_reusable():
    validator = FormValidator(_one("textfield", validate={"required": True}))
    assert validator.validate({"f": "a"}) == {"f": "a"}
    with pytest.raises(InvalidData):
        validator.validate({})
    assert validator.validate({"f": "b"}) == {"f": "b"}


# -- textfield / textarea -----------------------------------------------------------------------

TEXT_RULES = {"required": True, "minLength": 3, "maxLength": 5}


@pytest.mark.parametrize("type_", ["textfield", "textarea"])
@pytest.mark.parametrize(("value", "expected"), [
    ("abc", "abc"), ("abcde", "abcde"), ("  abc  ", "  abc  "), ("héllo", "héllo"),
])
def test_text__good(type_, value, expected):
    assert FormValidator(_one(type_, validate=TEXT_RULES)).validate({"f": value}) == {"f": expected}


@pytest.mark.parametrize("type_", ["textfield", "textarea"])
@pytest.mark.parametrize(("value", "messages"), [
    ("ab", ["Must be at least 3 characters."]),
    ("   ab   ", ["Must be at least 3 characters."]),
    ("abcdef", ["Must be at most 5 characters."]),
    ("", [REQUIRED]),
    (None, [REQUIRED]),
    (12345, ["Not a valid string."]),
    (["abc"], ["Not a valid string."]),
])
def test_text__bad(type_, value, messages):
    assert _errors(_one(type_, validate=TEXT_RULES), {"f": value}) == {"f": messages}


@pytest.mark.parametrize(("pattern", "value", "ok"), [
    ("^[A-Z]{2}[0-9]{3}$", "AB123", True),
    ("^[A-Z]{2}[0-9]{3}$", "AB1234", False),
    ("^[A-Z]{2}[0-9]{3}$", "ab123", False),
    ("[0-9]+", "abc123def", True),  # unanchored, like JavaScript RegExp.test
    ("[0-9]+", "abcdef", False),
    (r"^\d+$", "١٢٣", False),  # \d is ASCII, as in JavaScript
    (r"^\w+$", "abc_12", True),
    (r"^(?<year>\d{4})-\d{2}$", "2024-05", True),  # JavaScript named group
])
def test_text__pattern(pattern, value, ok):
    form = _one("textfield", validate={"pattern": pattern})
    if ok:
        assert FormValidator(form).validate({"f": value}) == {"f": value}
    else:
        assert _errors(form, {"f": value}) == {"f": [f"Must match pattern {pattern}."]}


def test_text__pattern_error_message_from_form():
    form = _one("textfield", validate={"pattern": "^[0-9]+$", "patternErrorMessage": "Digits only."})
    assert _errors(form, {"f": "x"}) == {"f": ["Digits only."]}


def test_text__optional_empty_string_skips_rules():
    form = _one("textfield", validate={"minLength": 3, "pattern": "^x", "validationType": "email"})
    assert FormValidator(form).validate({"f": ""}) == {"f": ""}


@pytest.mark.parametrize(("value", "ok"), [
    ("jean.dupont@example.org", True), ("a+tag@sub.example.co", True), ("x@localhost", True),
    ("jean.dupont", False), ("jean@", False), ("@example.org", False), ("jean dupont@example.org", False),
    ("jean@exa mple.org", False),
])
def test_text__email(value, ok):
    form = _one("textfield", validate={"validationType": "email"})
    if ok:
        assert FormValidator(form).validate({"f": value}) == {"f": value}
    else:
        assert _errors(form, {"f": value}) == {"f": ["Not a valid email address."]}


@pytest.mark.parametrize(("value", "ok"), [
    ("+212612345678", True), ("00212612345678", True), ("+4930664040900", True),
    ("0612345678", False), ("+2126", False), ("+212 6 12 34", False), ("phone", False),
])
def test_text__phone(value, ok):
    form = _one("textfield", validate={"validationType": "phone"})
    if ok:
        assert FormValidator(form).validate({"f": value}) == {"f": value}
    else:
        assert _errors(form, {"f": value})["f"][0].startswith("Not a valid phone number")


def test_text__all_rule_errors_together():
    form = _one("textfield", validate={"minLength": 5, "pattern": "^[0-9]+$", "validationType": "email"})
    assert _errors(form, {"f": "ab"}) == {"f": [
        "Must be at least 5 characters.", "Must match pattern ^[0-9]+$.", "Not a valid email address."]}


def test_text__feel_limits_are_skipped():
    form = _one("textfield", validate={"minLength": "=min_len", "maxLength": "=max_len"})
    assert check_form(form) == []
    assert FormValidator(form).validate({"f": "x" * 500}) == {"f": "x" * 500}


# -- number ----------------------------------------------------------------------------------------

NUMBER = {"validate": {"min": 1, "max": 100}, "decimalDigits": 2}


@pytest.mark.parametrize(("value", "expected"), [
    (1, 1), (100, 100), (42.0, 42), (2.5, 2.5), (99.99, 99.99), (None, None), ("", None),
])
def test_number__good(value, expected):
    cleaned = FormValidator(_one("number", **NUMBER)).validate({"f": value})
    assert cleaned == {"f": expected}
    assert type(cleaned["f"]) is type(expected)


@pytest.mark.parametrize(("value", "messages"), [
    (0, ["Must be greater than or equal to 1."]),
    (100.5, ["Must be less than or equal to 100."]),
    (1.234, ["Must have at most 2 decimal digit(s)."]),
    (0.001, ["Must be greater than or equal to 1.", "Must have at most 2 decimal digit(s)."]),
    ("12", ["Not a valid number."]),
    (True, ["Not a valid number."]),
    ([1], ["Not a valid number."]),
    (float("nan"), ["Not a valid number."]),
    (float("inf"), ["Not a valid number."]),
])
def test_number__bad(value, messages):
    assert _errors(_one("number", **NUMBER), {"f": value}) == {"f": messages}


@pytest.mark.parametrize(("value", "ok"), [(3, True), (3.0, True), (3.5, False), (1e-7, False)])
def test_number__decimal_digits_zero_means_integer(value, ok):
    form = _one("number", decimalDigits=0)
    if ok:
        assert FormValidator(form).validate({"f": value}) == {"f": 3}
    else:
        assert _errors(form, {"f": value}) == {"f": ["Must be an integer."]}


def test_number__decimal_limits():
    form = _one("number", validate={"min": 0.5, "max": "2.25"})
    assert FormValidator(form).validate({"f": 2.25}) == {"f": 2.25}
    assert _errors(form, {"f": 0.25}) == {"f": ["Must be greater than or equal to 0.5."]}
    assert _errors(form, {"f": 2.5}) == {"f": ["Must be less than or equal to 2.25."]}


def test_number__serialize_to_string_keeps_numeric_strings():
    form = _one("number", serializeToString=True, validate={"max": 10}, decimalDigits=3)
    validator = FormValidator(form)
    assert validator.validate({"f": "3.125"}) == {"f": "3.125"}
    assert validator.validate({"f": 4}) == {"f": 4}
    assert _errors(form, {"f": "3,5"}) == {"f": ["Not a valid number."]}
    assert _errors(form, {"f": "10.0001"}) == {"f": [
        "Must be less than or equal to 10.", "Must have at most 3 decimal digit(s)."]}


def test_number__required_zero_is_a_value():
    assert FormValidator(_one("number", validate={"required": True})).validate({"f": 0}) == {"f": 0}


def test_number__increment_is_not_checked():
    assert FormValidator(_one("number", increment=5)).validate({"f": 3}) == {"f": 3}


# -- checkbox ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("required", "value", "result"), [
    (False, True, {"f": True}), (False, False, {"f": False}), (False, None, {"f": None}),
    (True, True, {"f": True}),
    (False, "true", ["Not a valid boolean."]), (False, 1, ["Not a valid boolean."]),
    (True, False, [REQUIRED]),  # form-js: an unchecked required checkbox is unset
    (True, None, [REQUIRED]),
])
def test_checkbox__table(required, value, result):
    form = _one("checkbox", validate={"required": required})
    if isinstance(result, dict):
        assert FormValidator(form).validate({"f": value}) == result
    else:
        assert _errors(form, {"f": value}) == {"f": result}


# -- select / radio / checklist / taglist ---------------------------------------------------------

OPTIONS = [{"label": "Alpha", "value": "a"}, {"label": "Bravo", "value": "b"}]


@pytest.mark.parametrize("type_", ["select", "radio"])
@pytest.mark.parametrize(("value", "result"), [
    ("a", "a"), ("b", "b"), (None, None),
    ("c", ["Must be one of: a, b."]), ("A", ["Must be one of: a, b."]), (1, ["Must be one of: a, b."]),
    (["a"], ["Not a valid value."]), ({"value": "a"}, ["Not a valid value."]),
])
def test_single_choice__static_options(type_, value, result):
    form = _one(type_, values=OPTIONS)
    if isinstance(result, list):
        assert _errors(form, {"f": value}) == {"f": result}
    else:
        assert FormValidator(form).validate({"f": value}) == {"f": result}


def test_single_choice__typed_option_values():
    form = _one("radio", values=[{"label": "One", "value": 1}, {"label": "Yes", "value": True}])
    assert FormValidator(form).validate({"f": 1}) == {"f": 1}
    assert FormValidator(form).validate({"f": True}) == {"f": True}
    assert _errors(form, {"f": "1"}) == {"f": ["Must be one of: 1, true."]}


@pytest.mark.parametrize("props", [{"valuesKey": "countries"}, {"valuesExpression": "=countries"}])
@pytest.mark.parametrize("value", ["anything", 3, False])
def test_single_choice__dynamic_options_accept_any_scalar(props, value):
    assert FormValidator(_one("select", **props)).validate({"f": value}) == {"f": value}


def test_single_choice__dynamic_options_refuse_objects():
    assert _errors(_one("select", valuesKey="k"), {"f": {"a": 1}}) == {"f": ["Not a valid value."]}


def test_single_choice__required():
    form = _one("select", values=OPTIONS, validate={"required": True})
    assert _errors(form, {}) == {"f": [REQUIRED]}
    assert _errors(form, {"f": None}) == {"f": [REQUIRED]}
    assert _errors(form, {"f": ""}) == {"f": [REQUIRED, "Must be one of: a, b."]}


@pytest.mark.parametrize("type_", ["checklist", "taglist"])
@pytest.mark.parametrize("value", [["a"], ["a", "b"], ["b", "a"], [], None])
def test_multi_choice__good(type_, value):
    assert FormValidator(_one(type_, values=OPTIONS)).validate({"f": value}) == {"f": value}


@pytest.mark.parametrize("type_", ["checklist", "taglist"])
@pytest.mark.parametrize(("value", "messages"), [
    (["a", "z"], ["Must be one of: a, b."]), (["A"], ["Must be one of: a, b."]),
    ("a", ["Not a valid list."]), ([["a"]], ["Not a valid list."]), ([{"value": "a"}], ["Not a valid list."]),
    ({"a": True}, ["Not a valid list."]),
])
def test_multi_choice__bad(type_, value, messages):
    assert _errors(_one(type_, values=OPTIONS), {"f": value}) == {"f": messages}


@pytest.mark.parametrize("type_", ["checklist", "taglist"])
def test_multi_choice__required_refuses_empty_list(type_):
    form = _one(type_, values=OPTIONS, validate={"required": True})
    assert _errors(form, {"f": []}) == {"f": [REQUIRED]}
    assert FormValidator(form).validate({"f": ["b"]}) == {"f": ["b"]}


def test_multi_choice__dynamic_options_accept_any_scalars():
    assert FormValidator(_one("taglist", valuesKey="tags")).validate({"f": ["x", 2]}) == {"f": ["x", 2]}


# -- datetime ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("subtype", "value", "ok"), [
    ("date", "2024-02-29", True), ("date", "2023-02-29", False), ("date", "2024-2-1", False),
    ("date", "20240201", False), ("date", "2024-02-01T10:00", False), ("date", "01/02/2024", False),
    (None, "2024-12-31", True), (None, "2024-13-01", False),
    ("time", "09:30", True), ("time", "23:59:59", True), ("time", "09:30Z", True), ("time", "09:30+01:00", True),
    ("time", "24:00", False), ("time", "9:30", False), ("time", "09:30 PM", False), ("time", "09:61", False),
    ("datetime", "2024-05-01T09:30", True), ("datetime", "2024-05-01T09:30:15.123Z", True),
    ("datetime", "2024-05-01T09:30-04:00", True), ("datetime", "2024-05-01", False),
    ("datetime", "2024-05-01 09:30", False), ("datetime", "2024-05-32T09:30", False),
])
def test_datetime__format(subtype, value, ok):
    form = _one("datetime", **({"subtype": subtype} if subtype else {}))
    if ok:
        assert FormValidator(form).validate({"f": value}) == {"f": value}
    else:
        assert _errors(form, {"f": value})["f"][0].startswith("Not a valid")


@pytest.mark.parametrize("value", [20240101, True, ["2024-01-01"]])
def test_datetime__refuses_non_strings(value):
    assert _errors(_one("datetime", subtype="date"), {"f": value}) == {"f": ["Not a valid date (expected YYYY-MM-DD)."]}


def test_datetime__empty_string_is_null():
    assert FormValidator(_one("datetime", subtype="date")).validate({"f": ""}) == {"f": None}
    assert _errors(_one("datetime", validate={"required": True}), {"f": ""}) == {"f": [REQUIRED]}


# -- expression / filepicker -------------------------------------------------------------------------

@pytest.mark.parametrize("type_", ["expression", "filepicker"])
@pytest.mark.parametrize("value", [1, "x", None, {"a": [1, 2]}, [{"id": "files::1"}], True])
def test_any_json__accepted(type_, value):
    assert FormValidator(_one(type_)).validate({"f": value}) == {"f": value}


def test_any_json__required_filepicker():
    assert _errors(_one("filepicker", validate={"required": True}), {"f": []}) == {"f": [REQUIRED]}


# -- required, null, partial ---------------------------------------------------------------------

REQ_FORM = _form(
    {"type": "textfield", "key": "name", "validate": {"required": True}},
    {"type": "number", "key": "age", "validate": {"required": True, "min": 18}},
    {"type": "textfield", "key": "nick"},
)


@pytest.mark.parametrize(("data", "errors"), [
    ({}, {"name": [REQUIRED], "age": [REQUIRED]}),
    ({"name": None, "age": None}, {"name": [REQUIRED], "age": [REQUIRED]}),
    ({"name": "", "age": 20}, {"name": [REQUIRED]}),
    ({"name": "Ali", "age": 12}, {"age": ["Must be greater than or equal to 18."]}),
])
def test_required__table(data, errors):
    assert _errors(REQ_FORM, data) == errors


def test_required__optional_may_be_null_or_missing():
    validator = FormValidator(REQ_FORM)
    assert validator.validate({"name": "Ali", "age": 20}) == {"name": "Ali", "age": 20}
    assert validator.validate({"name": "Ali", "age": 20, "nick": None}) == {"name": "Ali", "age": 20, "nick": None}


def test_required__whitespace_only_counts_as_a_value():
    assert FormValidator(REQ_FORM).validate({"name": "  ", "age": 20}) == {"name": "  ", "age": 20}


@pytest.mark.parametrize(("data", "expected"), [
    ({}, {}), ({"name": None}, {"name": None}), ({"name": ""}, {"name": ""}), ({"age": 30}, {"age": 30}),
])
def test_partial__skips_required(data, expected):
    assert FormValidator(REQ_FORM).validate(data, partial=True) == expected


def test_partial__still_checks_types_rules_and_unknown_fields():
    assert _errors(REQ_FORM, {"age": 3, "name": 5, "x": 1}, partial=True) == {
        "age": ["Must be greater than or equal to 18."], "name": ["Not a valid string."], "x": ["Unknown field."]}


# -- unknown fields and non-object data ------------------------------------------------------------

def test_unknown__every_unknown_key_is_reported():
    form = _form({"type": "textfield", "key": "a"}, {"type": "text", "text": "hi"}, {"type": "button"})
    assert _errors(form, {"a": "x", "b": 1, "c": None}) == {"b": ["Unknown field."], "c": ["Unknown field."]}


@pytest.mark.parametrize("data", [[], "text", None, 3])
def test_unknown__non_object_submission(data):
    assert _errors(_form({"type": "textfield", "key": "a"}), data) == {"_schema": ["Not a valid object."]}


def test_unknown__errors_from_all_fields_at_once():
    form = _form({"type": "textfield", "key": "a", "validate": {"required": True}},
                 {"type": "number", "key": "n"}, {"type": "checkbox", "key": "c"})
    assert _errors(form, {"n": "1", "c": "yes", "z": 0}) == {
        "a": [REQUIRED], "n": ["Not a valid number."], "c": ["Not a valid boolean."], "z": ["Unknown field."]}


# -- disabled / readonly / conditional -------------------------------------------------------------

@pytest.mark.parametrize("flag", ["disabled", "readonly"])
def test_display_only__dropped_silently(flag):
    form = _form({"type": "textfield", "key": "a"}, {"type": "number", "key": "ro", flag: True, "validate": {"required": True}})
    validator = FormValidator(form)
    assert validator.validate({"a": "x", "ro": "not even a number"}) == {"a": "x"}
    assert validator.validate({"a": "x"}) == {"a": "x"}


def test_display_only__container_drops_its_children():
    form = _form({"type": "group", "path": "g", "readonly": True, "components": [
        {"type": "textfield", "key": "a", "validate": {"required": True}}]},
        {"type": "dynamiclist", "path": "l", "disabled": True, "components": [{"type": "number", "key": "n"}]})
    assert FormValidator(form).validate({"g": {"a": 1}, "l": [{"n": "x"}]}) == {}


def test_conditional__hidden_field_is_not_required_but_type_checked():
    form = _form({"type": "checkbox", "key": "other"},
                 {"type": "textfield", "key": "detail", "validate": {"required": True, "maxLength": 3},
                  "conditional": {"hide": "=not(other)"}})
    validator = FormValidator(form)
    assert validator.validate({"other": False}) == {"other": False}
    assert validator.validate({"other": True, "detail": "abc"}) == {"other": True, "detail": "abc"}
    assert _errors(form, {"detail": "abcd"}) == {"detail": ["Must be at most 3 characters."]}
    assert _errors(form, {"detail": 1}) == {"detail": ["Not a valid string."]}


def test_conditional__hidden_group_children_not_required():
    form = _form({"type": "group", "path": "g", "conditional": {"hide": "=true"}, "components": [
        {"type": "textfield", "key": "a", "validate": {"required": True}}]})
    assert FormValidator(form).validate({}) == {}


def test_conditional__feel_readonly_is_kept_but_not_required():
    form = _one("textfield", readonly="=locked", validate={"required": True})
    assert FormValidator(form).validate({}) == {}
    assert FormValidator(form).validate({"f": "x"}) == {"f": "x"}


# -- groups, dotted keys, dynamic lists ------------------------------------------------------------

GROUPS = _form(
    {"type": "textfield", "key": "top"},
    {"type": "group", "id": "G1", "path": "address", "components": [
        {"type": "textfield", "key": "street", "validate": {"required": True}},
        {"type": "textfield", "key": "city"},
        {"type": "group", "path": "geo", "components": [{"type": "number", "key": "lat"}]},
    ]},
    {"type": "group", "id": "G2", "components": [{"type": "checkbox", "key": "flat"}]},
    {"type": "textfield", "key": "contact.email.work", "validate": {"validationType": "email"}},
)


def test_group__nested_and_flat_data():
    data = {"top": "t", "address": {"street": "1 rue", "geo": {"lat": 33.5}}, "flat": True,
            "contact": {"email": {"work": "a@b.ma"}}}
    assert FormValidator(GROUPS).validate(data) == data


@pytest.mark.parametrize(("data", "errors"), [
    ({}, {"address.street": [REQUIRED]}),
    ({"address": None}, {"address.street": [REQUIRED]}),
    ({"address": {"street": "x", "zip": 1}}, {"address.zip": ["Unknown field."]}),
    ({"address": {"street": "x", "geo": {"lat": "n"}}}, {"address.geo.lat": ["Not a valid number."]}),
    ({"address": {"street": "x", "geo": 5}}, {"address.geo": ["Not a valid object."]}),
    ({"address": "1 rue"}, {"address": ["Not a valid object."]}),
    ({"address": {"street": "x"}, "street": "y"}, {"street": ["Unknown field."]}),
    ({"address": {"street": "x"}, "contact": {"email": {"work": "nope"}}}, {"contact.email.work": ["Not a valid email address."]}),
    ({"address": {"street": "x"}, "contact": {"phone": 1}}, {"contact.phone": ["Unknown field."]}),
])
def test_group__errors_use_dotted_paths(data, errors):
    assert _errors(GROUPS, data) == errors


def test_group__same_path_twice_merges():
    form = _form({"type": "group", "path": "p", "components": [{"type": "textfield", "key": "a"}]},
                 {"type": "group", "path": "p", "components": [{"type": "textfield", "key": "b"}]})
    assert check_form(form) == []
    assert FormValidator(form).validate({"p": {"a": "1", "b": "2"}}) == {"p": {"a": "1", "b": "2"}}


def test_group__optional_group_may_be_missing_or_null():
    form = _form({"type": "group", "path": "g", "components": [{"type": "textfield", "key": "a"}]})
    assert FormValidator(form).validate({}) == {}
    assert FormValidator(form).validate({"g": None}) == {"g": None}


LIST = _form(
    {"type": "textfield", "key": "title"},
    {"type": "dynamiclist", "id": "L", "path": "items", "isRepeating": True, "defaultRepetitions": 1, "components": [
        {"type": "textfield", "key": "name", "validate": {"required": True, "maxLength": 10}},
        {"type": "number", "key": "qty", "validate": {"min": 1}},
        {"type": "dynamiclist", "path": "notes", "components": [{"type": "textfield", "key": "text"}]},
    ]},
)


@pytest.mark.parametrize("data", [
    {}, {"items": []}, {"items": None},
    {"items": [{"name": "pen", "qty": 2}, {"name": "ink"}]},
    {"items": [{"name": "pen", "notes": [{"text": "blue"}, {}]}]},
])
def test_dynamiclist__good(data):
    assert FormValidator(LIST).validate(data) == data


@pytest.mark.parametrize(("data", "errors"), [
    ({"items": {"name": "x"}}, {"items": ["Not a valid list."]}),
    ({"items": [{}]}, {"items.0.name": [REQUIRED]}),
    ({"items": [{"name": "ok"}, None, "x"]}, {"items.1": ["Not a valid object."], "items.2": ["Not a valid object."]}),
    ({"items": [{"name": "ok"}, {"name": "way too long", "qty": 0, "x": 1}]}, {
        "items.1.name": ["Must be at most 10 characters."], "items.1.qty": ["Must be greater than or equal to 1."],
        "items.1.x": ["Unknown field."]}),
    ({"items": [{"name": "ok", "notes": [{"text": 3}]}]}, {"items.0.notes.0.text": ["Not a valid string."]}),
    ({"name": "top"}, {"name": ["Unknown field."]}),
])
def test_dynamiclist__errors_per_item(data, errors):
    assert _errors(LIST, data) == errors


def test_dynamiclist__partial_skips_required_in_items():
    assert FormValidator(LIST).validate({"items": [{}]}, partial=True) == {"items": [{}]}


# -- a realistic form ----------------------------------------------------------------------------

COMPLAINT = json.loads((FORMS / "complaint_intake.form").read_text(encoding="utf-8"))
GOOD_COMPLAINT = {
    "requerant": {"nom": "El Amrani", "prenom": "Fatima Zahra", "cin": "AB123456", "date_naissance": "1988-03-14",
                  "email": "f.elamrani@example.ma", "telephone": "+212612345678"},
    "pays": "MA",
    "categorie": "delai",
    "description": "Ma demande de passeport est en attente depuis quatre mois sans réponse.",
    "canaux_reponse": ["email", "sms"],
    "consentement": True,
}


def test_complaint__form_is_valid():
    assert check_form(COMPLAINT) == []
    assert form_key(COMPLAINT) == "complaint_intake"


def test_complaint__good_submission_is_cleaned():
    validator = FormValidator(COMPLAINT)
    assert validator.validate({**GOOD_COMPLAINT, "reference": "REC-2024-001"}) == GOOD_COMPLAINT


def test_complaint__other_category_with_detail():
    data = {**GOOD_COMPLAINT, "categorie": "autre", "autre_categorie": "Accessibilité des locaux"}
    assert FormValidator(COMPLAINT).validate(data) == data


@pytest.mark.parametrize(("change", "errors"), [
    ({"pays": "ES"}, {"pays": ["Must be one of: MA, FR, BE, XX."]}),
    ({"categorie": None}, {"categorie": [REQUIRED]}),
    ({"description": "Trop court"}, {"description": ["Must be at least 20 characters."]}),
    ({"description": "x" * 2001}, {"description": ["Must be at most 2000 characters."]}),
    ({"consentement": False}, {"consentement": [REQUIRED]}),
    ({"canaux_reponse": ["fax"]}, {"canaux_reponse": ["Must be one of: email, sms, courrier."]}),
    ({"autre_categorie": "y" * 101}, {"autre_categorie": ["Must be at most 100 characters."]}),
    ({"requerant": {**GOOD_COMPLAINT["requerant"], "email": "fatima.example.ma"}},
     {"requerant.email": ["Not a valid email address."]}),
    ({"requerant": {**GOOD_COMPLAINT["requerant"], "cin": "123"}},
     {"requerant.cin": ["Must match pattern ^[A-Z]{1,2}[0-9]{5,6}$."]}),
    ({"requerant": {**GOOD_COMPLAINT["requerant"], "date_naissance": "14/03/1988"}},
     {"requerant.date_naissance": ["Not a valid date (expected YYYY-MM-DD)."]}),
    ({"requerant": {"nom": "X"}}, {"requerant.prenom": [REQUIRED], "requerant.email": [REQUIRED]}),
])
def test_complaint__bad_submission(change, errors):
    assert _errors(COMPLAINT, {**GOOD_COMPLAINT, **change}) == errors


def test_complaint__empty_submission_lists_every_required_field():
    assert set(_errors(COMPLAINT, {})) == {
        "requerant.nom", "requerant.prenom", "requerant.email", "pays", "categorie", "description", "consentement"}


def test_complaint__draft_skips_required_only():
    validator = FormValidator(COMPLAINT)
    assert validator.validate({}, partial=True) == {}
    assert validator.validate({"pays": "FR"}, partial=True) == {"pays": "FR"}
    assert _errors(COMPLAINT, {"description": "Brouillon"}, partial=True) == {
        "description": ["Must be at least 20 characters."]}


def test_complaint__error_payload_is_api_ready():
    with pytest.raises(InvalidData) as info:
        FormValidator(COMPLAINT).validate({**GOOD_COMPLAINT, "pays": "ES", "intrus": 1})
    assert info.value.to_dict() == {
        "code": "validation_error",
        "message": "The submitted data is invalid (2 field(s) in error).",
        "errors": {"pays": ["Must be one of: MA, FR, BE, XX."], "intrus": ["Unknown field."]},
    }
