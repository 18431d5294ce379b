"""Every error -> `{"code", "message", "errors"}` with its status, in one place (API.md, Errors)."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from engine import DiwanError
from engine.db.failures import DATABASE_ERRORS, unavailable, unavailable_cause

log = logging.getLogger("diwan.api")

# An engine error's code -> HTTP status (401 and 429 come from the user store; 503 with
# Retry-After when the database, or argon2's memory, is unavailable).
STATUS_BY_CODE = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "validation_error": 422,
    "invalid_definition": 422,
    "script_error": 422,
    "too_many_requests": 429,
    "unavailable": 503,
}

# An HTTP status raised by Flask, werkzeug or webargs -> our code.
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "bad_request",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}

MESSAGES = {
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is over the configured limit.",
    422: "Invalid input.",
    500: "Internal server error.",
}


def error_response(status: int, code: str, message: str, errors: Any = None,
                   headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """HTTP errors: routing (404, 405), body size (413), webargs validation (422), aborts."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors")
    if errors is None and "messages" in data:
        errors = _flatten(data["messages"])
    message = data.get("message") or MESSAGES.get(status) or error.description or error.name
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if status >= 500:
        original = getattr(error, "original_exception", None)
        cause = unavailable_cause(original) if original is not None else None
        if cause is not None:  # a database failure no engine call translated (InstanceAccess, say)
            log.warning("the database is unavailable: %s", cause)
            return handle_diwan_error(unavailable(cause))
        log.error("unhandled error", exc_info=original or error)
    return error_response(status, CODE_BY_STATUS.get(status, error.name.lower().replace(" ", "_")), message,
                          errors, headers)


def handle_diwan_error(error: DiwanError) -> Response:
    """Engine errors: their code says the status."""
    headers = {}
    if getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)
    if error.code == "unauthorized":
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(STATUS_BY_CODE.get(error.code, 422), error.code, error.message, error.errors, headers)


def handle_database_error(error: Exception) -> Response:
    """A database error no engine call translated (InstanceAccess, say): 503 when the
    database is unavailable, else an internal error."""
    cause = unavailable_cause(error)
    if cause is not None:
        log.warning("the database is unavailable: %s", cause)
        return handle_diwan_error(unavailable(cause))
    log.error("unhandled database error", exc_info=error)
    return error_response(500, "internal_error", MESSAGES[500])


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DiwanError, handle_diwan_error)
    for base in DATABASE_ERRORS:
        app.register_error_handler(base, handle_database_error)


def _flatten(messages: Any) -> Any:
    """webargs nests field errors under their location ({"json": {...}}): drop that level."""
    if not isinstance(messages, dict):
        return messages
    out: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            out.update(fields)
        else:
            out[location] = fields
    return out
