"""`diwan serve`: gunicorn, with a worker whose own answers are in diwan's JSON error shape under /api.

gunicorn answers some requests itself, before or instead of the app: a request line or
headers over its limits (414, 431), a request it cannot parse (400), and a request whose
worker ran past `--timeout` (the arbiter aborts the worker: gunicorn writes a 500). Its
pages are HTML; an /api client gets `{"code", "message"}` instead, and a timed-out request
a 503 `unavailable` with Retry-After. Where the path is unknown (the request line was too
long to read) the answer is JSON too; elsewhere gunicorn's HTML stays.

A worker timeout is a last resort: the app answers by itself first (the SQLite busy
timeout and the script limits are shorter than `DIWAN_REQUEST_TIMEOUT_SECONDS`). A
worker stuck in C code beyond the timeout cannot run Python to answer: the arbiter kills
it and its client sees the connection close.
"""
from __future__ import annotations

import orjson
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from . import config
from .errors import CODE_BY_STATUS

# Statuses gunicorn itself answers -> our code (the others: bad_request / internal_error).
GUNICORN_CODES = {**CODE_BY_STATUS, 414: "too_large", 417: "bad_request", 431: "too_large", 501: "bad_request"}
TIMEOUT_RETRY_AFTER = 5


class _Page:
    """Stands in for the client socket while gunicorn writes its error page, which is kept
    here (gunicorn has sorted the error, logged it and chosen the status and reason)."""

    def __init__(self):
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # "non-blocking": gunicorn's write_nonblock then just calls sendall

    def sendall(self, data: bytes) -> None:
        self.data += data

    def status(self) -> tuple[int, str]:
        line = self.data.split(b"\r\n", 1)[0].decode("latin-1")  # "HTTP/1.1 414 URI Too Long"
        parts = line.split(" ", 2)
        try:
            return int(parts[1]), (parts[2] if len(parts) > 2 else "")
        except (IndexError, ValueError):
            return 500, "Internal Server Error"


class _JsonErrors:
    """The errors gunicorn answers itself, as JSON under /api."""

    def handle_error(self, req, client, addr, exc):
        path = _path(req, exc)
        if path is not None and not _is_api(path):
            return super().handle_error(req, client, addr, exc)
        page = _Page()
        super().handle_error(req, page, addr, exc)
        status, reason = page.status()
        headers = {}
        if isinstance(exc, SystemExit):  # the arbiter aborted this worker: the request ran past --timeout
            status, reason, code = 503, "Service Unavailable", "unavailable"
            message = (f"The request took longer than the server allows ({self.cfg.timeout} s) and was stopped; "
                       "retry later.")
            headers["Retry-After"] = str(TIMEOUT_RETRY_AFTER)
        else:
            code = GUNICORN_CODES.get(status, "bad_request" if status < 500 else "internal_error")
            message = f"{reason}: {exc}"[:500] if status < 500 else "Internal server error."
        try:
            util.write_nonblock(client, _response(status, reason, code, message, headers))
        except Exception:  # noqa: BLE001 - the client may be gone; gunicorn does the same
            self.log.debug("Failed to send error message.")


class JsonErrorWorker(_JsonErrors, SyncWorker):
    """gunicorn's sync worker (DIWAN_THREADS=1)."""


class JsonErrorThreadWorker(_JsonErrors, ThreadWorker):
    """gunicorn's threaded worker (the default: DIWAN_THREADS threads). A request that runs past
    --timeout takes its whole worker down: only the sync worker can answer it with a 503."""


def _path(req, exc) -> str | None:
    req = req or getattr(exc, "req", None)
    return getattr(req, "path", None) if req is not None else None


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _response(status: int, reason: str, code: str, message: str, headers: dict[str, str]) -> bytes:
    body = orjson.dumps({"code": code, "message": message})
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close", "Content-Type: application/json",
            f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class DiwanServer(BaseApplication):
    """gunicorn serving `create_app()` on `host:port` (`DIWAN_WORKERS`, `DIWAN_REQUEST_TIMEOUT_SECONDS`)."""

    def __init__(self, host: str, port: int):
        self.bind = f"{host}:{port}"
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", self.bind)
        self.cfg.set("workers", int(config.serve_setting("WORKERS")))
        threads = int(config.serve_setting("THREADS"))
        self.cfg.set("threads", threads)
        self.cfg.set("worker_class", JsonErrorThreadWorker if threads > 1 else JsonErrorWorker)
        self.cfg.set("timeout", int(config.serve_setting("REQUEST_TIMEOUT_SECONDS")))
        # No gunicorn access log: the app logs each request as a JSON line with its request id.

    def load(self):
        from . import create_app

        return create_app()
