"""Field builders shared by the schemas: bounded, NUL-free text (no database stores NUL in text)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

MAX_INT = 2**31 - 1


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")


def text(max_length: int = 255, *, min_length: int = 0, **kwargs) -> fields.String:
    """A string of at most `max_length` characters, without NUL."""
    validators = [validate.Length(min=min_length, max=max_length), _no_nul, *kwargs.pop("validate", [])]
    return fields.String(validate=validators, **kwargs)


def variables(**kwargs) -> fields.Dict:
    """Process variables: a JSON object."""
    kwargs.setdefault("metadata", {"description": "Process variables (a JSON object)."})
    return fields.Dict(keys=fields.String(), **kwargs)


def page_number() -> fields.Integer:
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_INT),
                          metadata={"description": "Page number, from 1."})


def per_page() -> fields.Integer:
    return fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                          metadata={"description": "Items per page (at most 500)."})
