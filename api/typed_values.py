"""Camunda 7's typed variable values (`{"value", "type", "valueInfo"}`) to and from diwan variables.

In (a worker's complete or bpmnError, case-insensitive types as the JS client writes them):
`String`, `Integer`/`Short`/`Long`, `Double`, `Boolean`, `Null`, `Json` (a JSON text),
`Object` serialized as `application/json`, `Date` (`yyyy-MM-dd'T'HH:mm:ss.SSSZ` or ISO 8601
with an offset), and untyped values taken as the JSON they are. `Bytes`, `File`, `Xml`,
Java-serialized objects and transient variables are refused, naming the variable.

Out (a fetch): text `String`, booleans `Boolean`, integers `Integer` (32-bit) or `Long`,
floats `Double`, decimals `Double` (their float value), dates-with-times `Date`, dates
`String` (`YYYY-MM-DD`, as forms keep them), lists and objects `Json`, None `Null`.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import orjson

from engine import InvalidData

INT32 = (-(2 ** 31), 2 ** 31 - 1)
INT16 = (-(2 ** 15), 2 ** 15 - 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)


def format_date(value: datetime | None) -> str | None:
    """Camunda's date format, in UTC: `2026-03-02T09:00:00.000+0000`."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_date(text: str) -> datetime:
    """A Camunda date (or ISO 8601 with an offset) as an aware datetime. Raises ValueError."""
    for parse in (lambda t: datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f%z"), datetime.fromisoformat):
        try:
            value = parse(text)
        except ValueError:
            continue
        if value.tzinfo is None:
            raise ValueError("a date needs a UTC offset (yyyy-MM-dd'T'HH:mm:ss.SSSZ)")
        return value
    raise ValueError(f"{text!r} is not a date (yyyy-MM-dd'T'HH:mm:ss.SSSZ)")


def to_typed(variables: dict[str, Any]) -> dict[str, dict]:
    """diwan variables as Camunda typed values."""
    return {name: typed_value(value) for name, value in variables.items()}


def typed_value(value: Any) -> dict:
    kind = type(value)
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if kind is bool:
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if kind is int:
        return {"type": "Integer" if INT32[0] <= value <= INT32[1] else "Long", "value": value, "valueInfo": {}}
    if kind is float:
        return {"type": "Double", "value": value, "valueInfo": {}}
    if kind is Decimal:
        return {"type": "Double", "value": float(value), "valueInfo": {}}
    if kind is str:
        return {"type": "String", "value": value, "valueInfo": {}}
    if isinstance(value, datetime):
        return {"type": "Date", "value": format_date(value), "valueInfo": {}}
    if isinstance(value, date):
        return {"type": "String", "value": value.isoformat(), "valueInfo": {}}
    text = orjson.dumps(value, default=_plain, option=orjson.OPT_NON_STR_KEYS).decode()
    return {"type": "Json", "value": text, "valueInfo": {}}


def from_typed(variables: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """Camunda typed values (as a request body holds them) as diwan variables.

    Raises:
        InvalidData: naming `where.<name>` and what is wrong with it.
    """
    if variables is None:
        return {}
    out = {}
    for name, entry in variables.items():
        try:
            out[name] = _value(entry)
        except (TypeError, ValueError) as exc:
            raise InvalidData(f"{where}.{name}: {exc}", errors={f"{where}.{name}": [str(exc)]}) from None
    return out


def _value(entry: Any) -> Any:
    if not isinstance(entry, dict) or "value" not in entry and "type" not in entry:
        raise TypeError('each variable is an object {"value": ..., "type": ...}')
    value, kind = entry.get("value"), entry.get("type")
    info = entry.get("valueInfo") or {}
    if not isinstance(info, dict):
        raise TypeError("valueInfo must be an object")
    if info.get("transient"):
        raise ValueError("transient variables are not supported: diwan keeps every variable it is given")
    if kind is None:
        return value  # untyped: the JSON value as it is
    if not isinstance(kind, str):
        raise TypeError("type must be text")
    kind = kind.lower()
    if kind == "null" or value is None:
        return None
    if kind == "string":
        return _expect(value, str, "String")
    if kind in ("integer", "short", "long"):
        number = _integer(value)
        low, high = {"integer": INT32, "short": INT16, "long": INT64}[kind]
        if not low <= number <= high:
            raise ValueError(f"{number} is out of the {kind.capitalize()} range ({low} to {high})")
        return number
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("a Double value must be a number")
        return float(value)
    if kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return _expect(value, bool, "Boolean")
    if kind == "json" or (kind == "object" and info.get("serializationDataFormat") == "application/json"):
        if not isinstance(value, str):
            return value  # already parsed JSON
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"the value is not JSON text: {exc}") from None
    if kind == "date":
        return parse_date(_expect(value, str, "Date"))
    if kind == "object":
        raise ValueError("only objects serialized as application/json are supported (no Java serialization)")
    raise ValueError(f"the type {entry.get('type')!r} is not supported (String, Integer, Long, Short, Double, "
                     "Boolean, Null, Json, Date, or Object as application/json)")


def _plain(value: Any) -> Any:
    """Inside a Json value: decimals and dates as text (as the instance's JSON shows them)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _expect(value: Any, kind: type, name: str) -> Any:
    if type(value) is not kind:
        raise TypeError(f"a {name} value must be {'text' if kind is str else name.lower()}, "
                        f"not {type(value).__name__}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("an integer value must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise TypeError("an integer value must be a whole number")
