"""The values an instance variable may hold, and the limits on them.

Everything that becomes a variable (start data, form submissions, message data, script
results, decision outputs, connector results) is checked here before it is kept, so a
value the database, the audit chain or a later command could not take is refused with
the variable's path and the reason, never stored half-way or turned into a 500.

The domain is JSON plus the few types scripts and decisions produce:

- ``None``, ``bool``, ``str`` (valid Unicode: no lone surrogates), ``int`` in the signed
  64-bit range, finite ``float``;
- ``list`` (a ``tuple`` is kept as a list), ``dict`` with string keys;
- finite ``decimal.Decimal`` within :data:`MAX_DECIMAL_EXPONENT` and
  :data:`MAX_DECIMAL_DIGITS`, ``datetime.date`` and ``datetime.datetime``.

Nesting is bounded by :data:`MAX_DEPTH` (a list that contains itself is refused by that
bound), the encoded size of one variable by ``max_variable_bytes``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "InvalidValue",
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_EXPONENT",
    "MAX_DEPTH",
    "ValueLimits",
    "check_value",
    "check_variables",
    "encoded_size",
]

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1
MAX_DEPTH = 64
"""How deep lists and dicts may nest (a variable holding a scalar is depth 0)."""
MAX_DECIMAL_EXPONENT = 1_000
"""A decimal's adjusted exponent must lie within plus or minus this."""
MAX_DECIMAL_DIGITS = 1_000
"""A decimal's coefficient may have at most this many digits."""


@dataclass(frozen=True)
class ValueLimits:
    """Size limits of variables (bytes of their JSON encoding).

    Attributes:
        max_variable_bytes: one variable as a script, decision, connector or submission sets it.
        max_instance_bytes: all the variables of one instance together.
    """

    max_variable_bytes: int = 512 * 1024
    max_instance_bytes: int = 1024 * 1024


class InvalidValue(ValueError):
    """A value that cannot be a variable.

    Attributes:
        path: Where in the value, e.g. ``scores[3].name`` (the variable name first).
        reason: Why, in English, e.g. ``"sets are not JSON values: use a list"``.
    """

    def __init__(self, path: str, reason: str):
        if len(path) > 100:  # a value nested 64 deep: its beginning and end say enough
            path = f"{path[:60]}…{path[-30:]}"
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


def _describe(value: Any) -> str:
    kind = type(value)
    if kind in (set, frozenset):
        return "sets are not JSON values: use a list, e.g. sorted(s)"
    if kind in (bytes, bytearray, memoryview):
        return "bytes are not JSON values: decode them to text"
    if kind is range:
        return "a range is not a JSON value: use list(range(...))"
    if callable(value):
        return f"functions and classes cannot be stored (a {kind.__name__})"
    if isinstance(value, BaseException):
        return f"an exception ({kind.__name__}) cannot be stored: store its message, str(e)"
    if hasattr(value, "__next__") or hasattr(value, "__iter__"):
        return f"a {kind.__name__} (iterator) cannot be stored: use list(...)"
    return f"a value of type {kind.__name__} cannot be stored (JSON values, decimals and dates only)"


class _TooLarge(Exception):
    """The walk of one value went past its budget (a value built with shared parts can be far
    larger written out than in memory: it is never walked further than its limit)."""


def check_value(value: Any, path: str, depth: int = 0, budget: list[int] | None = None) -> Any:
    """Check one value of the domain; returns it, with tuples turned into lists.

    The same object is returned when nothing had to be converted.

    Args:
        value: the value.
        path: where it is, for messages (the variable name first).
        depth: its depth inside the variable.
        budget: a one-item list of the (approximate) bytes the walk may still see; it is
            decremented, and the walk stops with InvalidValue when it runs out.

    Raises:
        InvalidValue: naming the path inside the value and the reason.
    """
    if budget is None:
        budget = [1 << 62]
    try:
        return _check(value, path, depth, budget)
    except _TooLarge:
        raise InvalidValue(path, "the value is too large") from None


def _check(value: Any, path: str, depth: int, budget: list[int]) -> Any:
    kind = type(value)
    if kind is str:
        budget[0] -= len(value) + 2
        if budget[0] < 0:
            raise _TooLarge
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                bad = value[exc.start]
                raise InvalidValue(path, f"the text holds a lone surrogate (U+{ord(bad):04X}) that UTF-8 cannot "
                                         f"store, at character {exc.start}") from None
        return value
    budget[0] -= 8
    if budget[0] < 0:
        raise _TooLarge
    if kind is bool or value is None:
        return value
    if kind is int:
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidValue(path, f"the integer is beyond the 64-bit range ({INT64_MIN} to {INT64_MAX}): "
                                     "store it as text or a decimal")
        return value
    if kind is float:
        if not math.isfinite(value):
            raise InvalidValue(path, f"{value!r} is not a JSON number (NaN and infinities cannot be stored)")
        return value
    if depth >= MAX_DEPTH:
        raise InvalidValue(path, f"the value nests deeper than {MAX_DEPTH} levels (or contains itself)")
    if kind is dict:
        out = None
        for key, item in value.items():
            if type(key) is not str:
                raise InvalidValue(path, f"dictionary keys must be text, not {type(key).__name__} ({key!r:.40})")
            if "\x00" in key:  # also what keeps the script processes' typed values unambiguous
                raise InvalidValue(path, f"dictionary keys must not hold NUL characters ({key!r:.40})")
            if not key.isascii():
                _check(key, f"{path} (a key)", depth, budget)
            else:
                budget[0] -= len(key) + 3
            checked = _check(item, _key_path(path, key), depth + 1, budget)
            if checked is not item:
                if out is None:
                    out = dict(value)
                out[key] = checked
        return value if out is None else out
    if kind is list or kind is tuple:
        out = None if kind is list else list(value)
        for i, item in enumerate(value):
            checked = _check(item, f"{path}[{i}]", depth + 1, budget)
            if checked is not item:
                if out is None:
                    out = list(value)
                out[i] = checked
        return value if out is None else out
    if kind is Decimal:
        if not value.is_finite():
            raise InvalidValue(path, f"Decimal({str(value)!r}) is not a finite number: it cannot be stored")
        if value and (abs(value.adjusted()) > MAX_DECIMAL_EXPONENT or len(value.as_tuple().digits) > MAX_DECIMAL_DIGITS):
            raise InvalidValue(path, f"the decimal is too large or too precise (at most {MAX_DECIMAL_DIGITS} digits, "
                                     f"exponent within ±{MAX_DECIMAL_EXPONENT})")
        return value
    if kind is datetime or kind is date:
        return value
    if isinstance(value, (list, tuple, dict, str, int, float)) and not isinstance(value, bool):
        # subclasses (a named tuple, an IntEnum, an OrderedDict): keep their plain form
        plain = (list if isinstance(value, (list, tuple)) else dict if isinstance(value, dict)
                 else str if isinstance(value, str) else int if isinstance(value, int) else float)(value)
        return _check(plain, path, depth, budget)
    raise InvalidValue(path, _describe(value))


def encoded_size(value: Any) -> int:
    """Bytes of a checked value's JSON encoding (decimals and dates as text)."""
    return len(orjson.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def check_variables(variables: Mapping[str, Any], limits: ValueLimits | None = None,
                    *, what: str = "variable") -> dict[str, Any]:
    """Check the variables a command sets; returns them with tuples turned into lists.

    Args:
        variables: name -> value.
        limits: the size limits (default :class:`ValueLimits`).
        what: how a name is introduced in messages ("variable", "field", ...).

    Raises:
        InvalidValue: naming the variable (and the path inside it) and the reason.
    """
    limits = limits or ValueLimits()
    out: dict[str, Any] | None = None
    for name, value in variables.items():
        if type(name) is not str:
            raise InvalidValue(repr(name), f"{what} names must be text")
        if not name:
            raise InvalidValue("''", f"{what} names must not be empty")
        # The walk sees at most twice the limit (its estimate is close to the JSON size); what
        # it saw decides whether the exact size is worth measuring.
        budget = [2 * limits.max_variable_bytes]
        try:
            checked = _check(value, name, 0, budget)
        except _TooLarge:
            raise InvalidValue(name, f"the {what} takes more than {limits.max_variable_bytes} bytes, the most "
                                     f"allowed for one {what}") from None
        if 2 * limits.max_variable_bytes - budget[0] > limits.max_variable_bytes // 4:
            size = encoded_size(checked)
            if size > limits.max_variable_bytes:
                raise InvalidValue(name, f"the {what} takes {size} bytes, more than the {limits.max_variable_bytes} "
                                         f"allowed for one {what}")
        if checked is not value:
            if out is None:
                out = dict(variables)
            out[name] = checked
    return dict(variables) if out is None else out
