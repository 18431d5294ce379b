"""JSON-lines logs on stderr; every request is logged once, with its request id."""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

import orjson
from flask import Flask, Response, g, has_request_context, request

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
FIELDS = ("request_id", "method", "path", "route", "status", "duration_ms", "user", "remote_addr")
log = logging.getLogger("diwan.request")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for key in FIELDS:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if "request_id" not in out and has_request_context() and "request_id" in g:
            out["request_id"] = g.request_id
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


class _StderrHandler(logging.StreamHandler):
    """Writes to the current sys.stderr (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure(level: str = "INFO") -> None:
    """Send the `diwan` loggers to stderr as JSON lines (once per process)."""
    logger = logging.getLogger("diwan")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonLinesFormatter())
        logger.addHandler(handler)


def register(app: Flask) -> None:
    configure(str(app.config.get("LOG_LEVEL", "INFO")).upper())

    @app.before_request
    def _start() -> None:
        incoming = request.environ.get("HTTP_X_REQUEST_ID", "")  # headers.get raises inside when it lacks one
        g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-Id"] = request_id
        user = g.get("diwan_user")
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "request_id": request_id, "method": request.method, "path": request.path,
            "route": request.url_rule.rule if request.url_rule else None, "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 2),
            "user": user.username if user else None, "remote_addr": request.remote_addr})
        return response
