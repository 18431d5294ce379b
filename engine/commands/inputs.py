"""What callers hand to commands (start data, task submissions, messages), checked against
the value domain (values.py) before anything runs."""
from __future__ import annotations

from typing import Any

from ..errors import InvalidData
from ..values import InvalidValue, ValueLimits, check_value, check_variables, encoded_size

LIMITS = ValueLimits()
MAX_ERRORS = 20  # a body with thousands of bad fields: the first ones say enough


def checked_data(data: Any, limits: ValueLimits = LIMITS, *, field: str = "data") -> dict[str, Any]:
    """The variables a caller sends, as the engine will keep them (tuples become lists).

    Args:
        data: name -> value, as the caller sent it.
        limits: size limits of one variable and of all of them together.
        field: the name of the whole in messages.

    Raises:
        InvalidData: `errors` maps each refused variable's path (`scores[3].name`) to the
            reason; nothing has run.
    """
    if not isinstance(data, dict):
        raise InvalidData(f"{field} must be an object", errors={field: ["Must be an object."]})
    try:
        out = check_variables(data, limits, what="field")
    except InvalidValue:
        _refuse_each(data, limits, field)
    size = encoded_size(out)  # one orjson pass: cheaper than deciding whether it is needed
    if size > limits.max_instance_bytes:
        raise InvalidData(f"{field} is too large", errors={field: [
            f"The fields take {size} bytes, more than the {limits.max_instance_bytes} an instance may hold."]})
    return out


def _refuse_each(data: dict, limits: ValueLimits, field: str) -> None:
    """Raise InvalidData naming every refused variable (up to MAX_ERRORS), not just the first."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        try:
            check_variables({name: value}, limits, what="field")
        except InvalidValue as exc:
            errors[exc.path] = [exc.reason]
            if len(errors) >= MAX_ERRORS:
                break
    raise InvalidData(f"{field} holds values that cannot be stored: " + "; ".join(
        f"{path}: {reasons[0]}" for path, reasons in list(errors.items())[:3]), errors=errors)


def checked_text(value: Any, field: str, max_length: int = 255) -> Any:
    """A text argument (a correlation key, a business key, a message name) that the
    database can store: valid Unicode, no NUL, at most `max_length` characters.

    Raises:
        InvalidData: `{field: [reason]}`.
    """
    if value is None:
        return value
    if not isinstance(value, str):
        raise InvalidData(f"{field} must be text", errors={field: ["Must be text."]})
    try:
        check_value(value, field)
    except InvalidValue as exc:
        raise InvalidData(f"{field}: {exc.reason}", errors={field: [exc.reason]}) from None
    if "\x00" in value:
        raise InvalidData(f"{field} must not contain NUL characters", errors={field: ["Must not contain NUL."]})
    if len(value) > max_length:
        raise InvalidData(f"{field} is too long", errors={field: [f"At most {max_length} characters."]})
    return value
