"""form-js JSON schemas: deploy-time checks and server-side validation of submissions (a marshmallow schema built from the form).

One form-js (bpmn-io form-js 1.x) schema renders in the browser and validates here. The rules
follow form-js's own Validator, so the server does not refuse what the browser accepted:

- ``validate.pattern`` is tested like JavaScript ``new RegExp(pattern).test(value)``: a search,
  not a full match (write ``^...$`` to anchor), with RE2, in time linear in the value whatever the
  pattern (engine/forms/patterns.py says how the JavaScript syntax is mapped and what is refused at
  deploy: lookaround, backreferences). ``validate.patternErrorMessage`` (form-js 1.16+) replaces our
  message.
- ``minLength``/``maxLength`` count the trimmed value. Required means present, not null, not
  ``""``, not ``[]``, and ``true`` for a checkbox. ``partial=True`` (drafts) skips required checks.
- FEEL expressions (``"=..."``) cannot be evaluated here: such limits are skipped, and a field
  that may be hidden (``conditional.hide``, FEEL ``disabled``/``readonly``, itself or through a
  container) is not required but still type-checked when present. ``increment`` is not checked.
- ``disabled: true``/``readonly: true`` fields are display-only (their value comes from the
  process); form-js still submits readonly values, so they are dropped silently, not refused.
- ``number``: JSON numbers only (no bool or string, except numeric strings with
  ``serializeToString``, kept as strings for precision), cleaned to int when integral else float;
  ``decimalDigits`` caps the digits after the point. ``checkbox``: JSON booleans only. ``""`` is
  null for number and datetime.
- Options of ``select``/``radio``/``checklist``/``taglist`` come from static ``values``; with
  ``valuesKey``/``valuesExpression`` they are only known in the browser, so any string, number
  or boolean is accepted.
- ``datetime`` values stay ISO strings: ``date`` YYYY-MM-DD, ``time`` HH:MM[:SS][Z|+hh:mm],
  ``datetime`` YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|+hh:mm]. ``expression``/``filepicker``: any JSON.
- Dotted keys and ``group`` paths nest the data as form-js does (a group without a path keeps its
  children at its level); a ``dynamiclist`` (``path``) is a list of objects shaped by its children.
- Errors use dotted data paths: ``{"email": [...], "items.0.qty": [...]}``; unknown keys get
  ``["Unknown field."]``; a submission that is not an object is reported under ``"_schema"``.
  Default values are not applied.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator

from marshmallow import Schema, ValidationError, fields, missing

from engine.errors import InvalidData
from engine.messages import msg, why
from engine.forms.patterns import PatternError, compile_pattern

REQUIRED = "Missing data for required field."
MAX_KEY, MAX_NAME = 255, 500  # the definition row's key and name columns
INPUT_TYPES = frozenset({"textfield", "textarea", "number", "checkbox", "checklist", "taglist",
                         "radio", "select", "datetime", "expression", "filepicker"})
CONTAINER_TYPES = frozenset({"group", "dynamiclist"})
DISPLAY_TYPES = frozenset({"text", "html", "image", "spacer", "separator", "button", "iframe",
                           "table", "documentPreview"})
_PATH = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
_NUMERIC = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_EMAIL = re.compile(r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*")  # form-js's EMAIL_PATTERN
_PHONE = re.compile(r"(?:\+|00)[0-9]{6,30}$")  # a superset of form-js's country-code pattern
_TZ = r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
_DATETIME: dict[str, tuple[re.Pattern[str], Callable[[str], Any], str]] = {
    "date": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), date.fromisoformat,
             "Not a valid date (expected YYYY-MM-DD)."),
    "time": (re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?" + _TZ), time.fromisoformat,
             "Not a valid time (expected HH:MM)."),
    "datetime": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?" + _TZ),
                 datetime.fromisoformat, "Not a valid date-time (expected YYYY-MM-DDTHH:MM)."),
}
Check = Callable[[Any], None]
Say = Callable[[str], None]


def form_key(form: dict) -> str:
    """Return the form's key, its ``id``.

    Args:
        form: A form-js schema.

    Raises:
        ValueError: If the form has no non-empty string ``id``.
    """
    key = form.get("id") if isinstance(form, dict) else None
    if not isinstance(key, str) or not key:
        raise ValueError("A form-js schema needs a non-empty string 'id'.")
    return key


def check_form(form: dict) -> list[str]:
    """List the deploy-time problems of a form-js schema.

    Args:
        form: A form-js schema (parsed JSON).

    Returns:
        Problems in English, each naming the component's key or id; empty when the form is fine.
    """
    if not isinstance(form, dict):
        return [msg("Form must be a JSON object.")]
    problems = [] if isinstance(form.get("id"), str) and form["id"] else [msg("Form has no 'id'.")]
    if not problems and len(form["id"]) > MAX_KEY:
        problems.append(msg("Form 'id' is too long ({count} characters, at most {limit}).", count=len(form['id']), limit=MAX_KEY))
    name = form.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
        problems.append(msg("Form 'name' must be a string of at most {limit} characters.", limit=MAX_NAME))
    if not isinstance(form.get("components"), list):
        return [*problems, msg("Form 'components' must be a list.")]
    _walk(form["components"], {}, problems, set(), hidden=False, dropped=False)
    return problems


class FormValidator:
    """Validates the submissions of one form; build it once per form and reuse it.

    Args:
        form: A form-js schema. Deploy-time problems (see `check_form`) are tolerated:
            what cannot be understood is not checked.

    Raises:
        ValueError: If ``form`` is not an object with a ``components`` list.
    """

    def __init__(self, form: dict):
        if not isinstance(form, dict) or not isinstance(form.get("components"), list):
            raise ValueError("Not a form-js schema: expected an object with a 'components' list.")
        self.form_id: str | None = form.get("id")
        from engine.forms.file_fields import file_fields

        self.file_fields = file_fields(form)  # filepicker keys: their values are attachment ids
        tree: dict[str, Any] = {}
        _walk(form["components"], tree, [], set(), hidden=False, dropped=False)
        self._schemas = {partial: _schema(tree, partial) for partial in (False, True)}

    def validate(self, data: dict, *, partial: bool = False) -> dict:
        """Validate a submission and return its cleaned data.

        Args:
            data: The submitted values, shaped like the form's data.
            partial: Skip the required checks (saving a draft).

        Returns:
            The form's values only, converted; display-only fields are left out.

        Raises:
            InvalidData: All errors, as ``errors={dotted data path: [messages]}``.
        """
        try:
            return self._schemas[bool(partial)].load(data)
        except ValidationError as exc:
            errors = _flatten(exc.messages)
            raise InvalidData(f"The submitted data is invalid ({len(errors)} field(s) in error).",
                              errors=errors) from None


# -- the form as a tree of data paths ---------------------------------------------------------

@dataclass
class _Leaf:
    required: bool
    dropped: bool
    checkbox: bool
    convert: Callable[[Any], Any]
    checks: list[Check]


@dataclass
class _Rep:
    """A dynamiclist: a list of objects shaped by ``children``."""

    children: dict[str, Any]


def _walk(comps: list, tree: dict, problems: list[str], ids: set, *, hidden: bool, dropped: bool) -> None:
    for i, c in enumerate(comps):
        if not isinstance(c, dict):
            problems.append(msg("Component #{index}: not an object.", index=i))
            continue
        t, name = c.get("type"), c.get("key") or c.get("id") or f"#{i}"
        say: Say = lambda text, name=name: problems.append(msg("Component '{name}': {detail}", name=name, detail=text))  # noqa: E731
        if not isinstance(t, str):
            say(msg("'type' must be a string, not {type}.", type=repr(t)))
            continue
        if isinstance(c.get("id"), str):
            if c["id"] in ids:
                say(msg("duplicate id '{id}'.", id=c['id']))
            ids.add(c["id"])
        cond = c.get("conditional")
        c_hidden = hidden or (isinstance(cond, dict) and bool(cond.get("hide"))) or any(
            isinstance(c.get(a), str) for a in ("disabled", "readonly"))
        c_dropped = dropped or c.get("disabled") is True or c.get("readonly") is True
        if t in CONTAINER_TYPES:
            path, children = c.get("path") or "", c.get("components", [])
            if path and (not isinstance(path, str) or not _PATH.fullmatch(path)):
                say(msg("invalid path {path} (expected dot-separated words).", path=repr(path)))
            elif not isinstance(children, list):
                say(msg("'components' must be a list."))
            else:
                node: Any = tree
                if t == "dynamiclist" and not path:
                    say(msg("dynamiclist needs a 'path'."))
                elif path:
                    node = _claim(tree, path, _Rep({}) if t == "dynamiclist" else {}, say)
                    node = node.children if isinstance(node, _Rep) else node
                if node is not None:
                    _walk(children, node, problems, ids, hidden=c_hidden, dropped=c_dropped)
        elif t in INPUT_TYPES:
            key, v = c.get("key"), c.get("validate") or {}
            if not isinstance(key, str) or not _PATH.fullmatch(key):
                say(msg("{type} has an invalid 'key' {key} (expected dot-separated words).", type=t, key=repr(key)) if key else msg("{type} has no 'key'.", type=t))
                continue
            if not isinstance(v, dict):
                say(msg("'validate' must be an object."))
                v = {}
            convert, checks = _rules(t, c, v, say)
            required = v.get("required") is True and not c_hidden
            _claim(tree, key, _Leaf(required, c_dropped, t == "checkbox", convert, checks), say)
        elif t not in DISPLAY_TYPES:
            say(msg("unknown type {type}.", type=repr(t)))


def _claim(tree: dict, path: str, node: Any, say: Say) -> Any:
    """Put ``node`` at the dotted ``path``; group objects merge, anything else must be alone."""
    *parents, last = path.split(".")
    for seg in parents:
        tree = tree.setdefault(seg, {})
        if not isinstance(tree, dict):
            say(msg("key or path '{path}' conflicts with another field.", path=path))
            return None
    old = tree.setdefault(last, node)
    if old is node or (isinstance(old, dict) and isinstance(node, dict)):
        return old
    both = isinstance(old, _Leaf) and isinstance(node, _Leaf)
    say(msg("duplicate key '{path}'.", path=path) if both else msg("key or path '{path}' conflicts with another field.", path=path))
    return None


# -- rules per component type ------------------------------------------------------------------

def _rules(t: str, c: dict, v: dict, say: Say) -> tuple[Callable[[Any], Any], list[Check]]:
    """The converter (JSON type check) and validators of an input component."""
    checks: list[Check] = []
    add = lambda fails, text: checks.append(_check(fails, text))  # noqa: E731
    if t in ("textfield", "textarea"):
        lo, hi = _limit(v, "minLength", say, whole=True), _limit(v, "maxLength", say, whole=True)
        if lo is not None:
            add(lambda s: s and len(s.strip()) < lo, f"Must be at least {lo:f} characters.")
        if hi is not None:
            add(lambda s: s and len(s.strip()) > hi, f"Must be at most {hi:f} characters.")
        if v.get("pattern") is not None and not isinstance(v["pattern"], str):
            say(msg("validate.pattern must be a string, not {pattern}.", pattern=repr(v['pattern'])))
        elif v.get("pattern"):
            try:
                rx = compile_pattern(v["pattern"])
            except PatternError as exc:
                say(msg("invalid validate.pattern {pattern}: {detail}.", pattern=repr(v['pattern']), detail=why(exc)))
            else:
                custom = v.get("patternErrorMessage")
                ok = isinstance(custom, str) and custom and not custom.startswith("=")
                add(lambda s: s and not rx.search(s), custom if ok else f"Must match pattern {v['pattern']}.")
        kind = v.get("validationType")
        if kind == "email":
            add(lambda s: s and not _EMAIL.fullmatch(s), "Not a valid email address.")
        elif kind == "phone":
            add(lambda s: s and not _PHONE.search(s), "Not a valid phone number (e.g. +4930664040900).")
        elif kind not in (None, "", "custom"):
            say(msg("unknown validate.validationType {kind}.", kind=repr(kind)))
        return _typed(str, "Not a valid string."), checks
    if t == "number":
        lo, hi = _limit(v, "min", say), _limit(v, "max", say)
        if lo is not None:
            add(lambda x: x is not None and Decimal(str(x)) < lo, f"Must be greater than or equal to {lo:f}.")
        if hi is not None:
            add(lambda x: x is not None and Decimal(str(x)) > hi, f"Must be less than or equal to {hi:f}.")
        digits = c.get("decimalDigits")
        if isinstance(digits, int) and not isinstance(digits, bool) and digits >= 0:
            add(lambda x: x is not None and -min(0, Decimal(str(x)).normalize().as_tuple().exponent) > digits,
                "Must be an integer." if digits == 0 else f"Must have at most {digits} decimal digit(s).")
        elif digits is not None:
            say(msg("decimalDigits must be a non-negative integer."))
        return _number(c.get("serializeToString") is True), checks
    if t == "checkbox":
        return _typed(bool, "Not a valid boolean."), checks
    if t in ("radio", "select", "checklist", "taglist"):
        options, many = _options(t, c, say), t in ("checklist", "taglist")
        if options is not None:
            text = ", ".join(o if isinstance(o, str) else json.dumps(o) for o in options)
            add(lambda x: x is not None and any(not _among(i, options) for i in (x if many else [x])),
                f"Must be one of: {text}.")
        return (_list if many else _typed((str, int, float), "Not a valid value.")), checks
    if t == "datetime":
        sub = c.get("subtype") or "date"
        if not isinstance(sub, str) or sub not in _DATETIME:
            say(msg("unknown datetime subtype {sub}.", sub=repr(sub)))
        return (lambda x: _datetime(x, sub if isinstance(sub, str) and sub in _DATETIME else "datetime")), checks
    return (lambda x: x), checks  # expression, filepicker: any JSON value


def _limit(v: dict, name: str, say: Say, *, whole: bool = False) -> Decimal | None:
    """A numeric ``validate`` limit; None when absent or a FEEL expression; checks min <= max."""
    raw = v.get(name)
    if raw is None or raw == "" or (isinstance(raw, str) and raw.lstrip().startswith("=")):
        return None
    try:
        value = Decimal("nan" if isinstance(raw, bool) else str(raw).strip())
        if not value.is_finite() or (whole and (value < 0 or value != int(value))):
            raise InvalidOperation
    except InvalidOperation:
        say((msg("validate.{name} must be a non-negative integer or a FEEL expression, not {raw}.", name=name, raw=repr(raw)) if whole else msg("validate.{name} must be a number or a FEEL expression, not {raw}.", name=name, raw=repr(raw))))
        return None
    if name.startswith("max"):
        lo = _limit(v, name.replace("max", "min"), lambda _: None, whole=whole)
        if lo is not None and lo > value:
            say(msg("validate.{low_name} ({low}) is greater than validate.{name} ({value}).", low_name=name.replace('max', 'min'), low=format(lo, 'f'), name=name, value=format(value, 'f')))
    return Decimal(int(value)) if whole else value


def _options(t: str, c: dict, say: Say) -> list[Any] | None:
    """The static option values, or None when they are dynamic (or undefined)."""
    if c.get("valuesKey") or c.get("valuesExpression"):
        return None
    values = c.get("values")
    if not isinstance(values, list) or not values:
        say(msg("{type} needs 'values', 'valuesKey' or 'valuesExpression'.", type=t))
        return None
    return [o for o in (o.get("value") if isinstance(o, dict) else o for o in values) if o is not None]


def _among(value: Any, options: list[Any]) -> bool:
    return any(value == o and isinstance(value, bool) == isinstance(o, bool) for o in options)


def _check(fails: Callable[[Any], Any], message: str) -> Check:
    def check(value: Any) -> None:
        if fails(value):
            raise ValidationError(message)
    return check


def _typed(types: type | tuple[type, ...], message: str) -> Callable[[Any], Any]:
    def convert(x: Any) -> Any:
        if not isinstance(x, types):
            raise ValidationError(message)
        return x
    return convert


def _list(x: Any) -> list[Any]:
    if not isinstance(x, list) or not all(isinstance(i, (str, int, float)) for i in x):
        raise ValidationError("Not a valid list.")
    return x


def _number(as_string: bool) -> Callable[[Any], Any]:
    def convert(x: Any) -> Any:
        if x == "" and isinstance(x, str):
            return None
        if as_string and isinstance(x, str) and _NUMERIC.fullmatch(x.strip()):
            return x.strip()
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ValidationError("Not a valid number.")
        return int(x) if isinstance(x, float) and x.is_integer() else x
    return convert


def _datetime(x: Any, sub: str) -> str | None:
    if x == "" and isinstance(x, str):
        return None
    shape, parse, message = _DATETIME[sub]
    try:
        if not isinstance(x, str) or not shape.fullmatch(x):
            raise ValueError
        parse(x)
    except ValueError:
        raise ValidationError(message) from None
    return x


# -- the marshmallow schema --------------------------------------------------------------------

class _Base(Schema):
    error_messages = {"type": "Not a valid object."}


class _Input(fields.Field):
    """One input: ``convert`` checks the JSON type and converts, the validators do the rest."""

    def __init__(self, convert: Callable[[Any], Any], **kwargs: Any):
        super().__init__(**kwargs)
        self._convert = convert

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return self._convert(value)


class _Dropped(fields.Field):
    """A display-only (disabled/readonly) field: accepted, then left out of the cleaned data."""

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return missing


class _Group(fields.Nested):
    """A group's object; with required children, a missing or null object is checked as ``{}``."""

    def __init__(self, nested: Schema, *, fill: bool, **kwargs: Any):
        super().__init__(nested, allow_none=not fill, **kwargs)
        self.fill = fill

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return super().deserialize({} if self.fill and value in (None, missing) else value, attr, data, **kwargs)


def _schema(tree: dict[str, Any], partial: bool) -> Schema:
    attrs: dict[str, fields.Field] = {}
    for i, (seg, node) in enumerate(tree.items()):
        kw: dict[str, Any] = {"data_key": seg, "attribute": seg}  # attribute names stay safe: f0, f1...
        if isinstance(node, _Leaf) and not node.dropped:
            required = node.required and not partial
            empty = lambda x, cb=node.checkbox: x in (None, "", []) or (cb and x is False)  # noqa: E731
            attrs[f"f{i}"] = _Input(node.convert, required=required, allow_none=not required,
                                    validate=[_check(empty, REQUIRED), *node.checks] if required else node.checks,
                                    error_messages={"required": REQUIRED, "null": REQUIRED}, **kw)
        elif (leaves := list(_leaves(node))) and all(leaf.dropped for leaf in leaves):
            attrs[f"f{i}"] = _Dropped(**kw)
        elif isinstance(node, _Rep):
            item = fields.Nested(_schema(node.children, partial), error_messages={"null": "Not a valid object."})
            attrs[f"f{i}"] = fields.List(item, allow_none=True, error_messages={"invalid": "Not a valid list."}, **kw)
        else:
            fill = not partial and any(x.required and not x.dropped for x in _leaves(node, into_lists=False))
            attrs[f"f{i}"] = _Group(_schema(node, partial), fill=fill, **kw)
    return _Base.from_dict(attrs)()


def _leaves(node: Any, *, into_lists: bool = True) -> Iterator[_Leaf]:
    if isinstance(node, _Leaf):
        yield node
        return
    for child in (node.children if isinstance(node, _Rep) else node).values():
        if into_lists or not isinstance(child, _Rep):
            yield from _leaves(child, into_lists=into_lists)


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested errors to dotted data paths (``items.0.qty``)."""
    if not isinstance(errors, dict):
        return {prefix: [str(m) for m in errors] if isinstance(errors, list) else [str(errors)]}
    out: dict[str, list[str]] = {}
    for k, v in errors.items():
        key = prefix if k == "_schema" and prefix else f"{prefix}.{k}" if prefix else str(k)
        for path, messages in _flatten(v, key).items():
            out.setdefault(path, []).extend(messages)
    return out
