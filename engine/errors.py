"""The DiwanError tree: every error the engine raises to its callers."""
from __future__ import annotations

import os
from typing import Any

from .messages import Msg, params_json


class DiwanError(Exception):
    """An error of the diwan engine."""

    code = "error"

    def __init__(self, message: str | None = None, errors: Any = None):
        self.message = message or (self.__doc__ or self.code).strip()
        self.errors = errors
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


class NotFound(DiwanError):
    """Not found."""

    code = "not_found"


class Forbidden(DiwanError):
    """You are not allowed to do this."""

    code = "forbidden"


class Conflict(DiwanError):
    """A concurrent change won, or the object is not in a state that allows this."""

    code = "conflict"


class InvalidData(DiwanError):
    """The data is invalid."""

    code = "validation_error"


class Unavailable(DiwanError):
    """The database is unavailable: retry shortly."""

    code = "unavailable"

    def __init__(self, message: str | None = None, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidDefinition(DiwanError):
    """The deployment failed validation."""

    code = "invalid_definition"

    def __init__(self, problems: list[dict[str, Any]], message: str | None = None):
        super().__init__(message or _summary(problems), errors=problems)


class ScriptError(DiwanError):
    """A script, condition or decision failed; nothing was changed."""

    code = "script_error"

    def __init__(self, element: str | None, message: str):
        super().__init__(f"{element or 'process'}: {message}", errors=[{"element": element, "message": message}])


def problem(file: str | None, element: str | None, message: Msg) -> dict[str, Any]:
    """One entry of an InvalidDefinition's `errors` list: `message` in English, and its `template`
    and `params` (engine/messages.py) for the pages to say it in their language.

    Every message is a `msg(...)`; a plain string gets `template: null` (the pages show the English
    `message`), and is refused when DIWAN_STRICT_MESSAGES is set (the tests set it)."""
    if not isinstance(message, Msg):
        if os.environ.get("DIWAN_STRICT_MESSAGES"):
            raise TypeError(f"problem() needs a msg(...), not a plain string: {message!r}")
        return {"file": file, "element": element, "message": str(message), "template": None, "params": {}}
    return {"file": file, "element": element, "message": str(message), "template": message.template,
            "params": params_json(message)}


def _summary(problems: list[dict[str, Any]]) -> str:
    if not problems:
        return "The deployment failed validation."
    first = problems[0]
    where = "/".join(p for p in (first.get("file"), first.get("element")) if p)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"Invalid definition: {where + ': ' if where else ''}{first['message']}{more}"
