"""Designers' messages as templates: English text plus what it needs to be said in another language.

`msg("malformed JSON: {detail}", detail=str(exc))` is a `str` (the English text, formatted), so
every place that joins, compares or logs messages keeps working, and it also carries its template
and params. `engine.errors.problem` stores both in each `invalid_definition` entry; the pages
translate the template from the `deploy` catalogue (api/web/translations/*/LC_MESSAGES/deploy.po,
extracted by `pybabel extract -k msg` over engine/: scripts/i18n-update) and fill in the params,
translating the ones that are messages themselves. Placeholders are plain `{name}`: no format
specs, no positional fields, so that the translations can reorder them; a literal brace is doubled
(`${{variable}}`), params or not.

Third-party texts (SpiffWorkflow, lxml, Python's parser) go in as a param of one of our templates.
"""
from __future__ import annotations

from typing import Any


class Msg(str):
    """An English message that remembers its template and params."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, params: dict[str, Any] | None = None) -> "Msg":
        params = dict(params or {})
        text = template.format(**params)
        obj = super().__new__(cls, text)
        obj.template = template
        obj.params = params
        return obj

    def __reduce__(self):  # pickling keeps the template (spec caches, multiprocessing)
        return (Msg, (self.template, self.params))

    def capped(self, limit: int) -> "Msg":
        """The same message with its longest text params shortened so the whole fits in `limit`."""
        if len(self) <= limit:
            return self
        params = dict(self.params)
        for name in sorted(params, key=lambda n: -len(str(params[n]))):
            excess = len(Msg(self.template, params)) - limit
            if excess <= 0:
                break
            value = params[name]
            if isinstance(value, Msg):
                params[name] = value.capped(max(len(value) - excess, 20))
            elif isinstance(value, str):
                params[name] = value[: max(len(value) - excess - 3, 20)] + "..."
        return Msg(self.template, params)


def msg(template: str, **params: Any) -> Msg:
    """A designer's message: `template` in English with `{name}` placeholders filled from `params`."""
    return Msg(template, params)


def why(exc: BaseException) -> Msg | str:
    """An exception's message, kept a template when it was raised with one (`raise X(msg(...))`)."""
    if hasattr(exc, "as_msg"):
        return exc.as_msg()
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Msg) and len(exc.args) == 1 else str(exc)


def to_json(value: Any) -> Any:
    """A param as the API sends it: a message as {template, params}, numbers as they are, else text."""
    if isinstance(value, Msg):
        return {"template": value.template, "params": {k: to_json(v) for k, v in value.params.items()}}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def params_json(message: Msg) -> dict[str, Any]:
    return {k: to_json(v) for k, v in message.params.items()}


def templates_of(message: Msg) -> list[str]:
    """The message's template and those of its params that are messages (for the catalogue checks)."""
    out = [message.template]
    for value in message.params.values():
        if isinstance(value, Msg):
            out += templates_of(value)
    return out


__all__ = ["Msg", "msg", "params_json", "templates_of", "to_json", "why"]
