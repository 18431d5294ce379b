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

import socket
from concurrent import futures

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
    """gunicorn's threaded worker (the default: DIWAN_THREADS threads), serving on its main thread
    the requests that arrived whole. One of those that runs past --timeout is answered with a
    503 and the worker restarts, as in the sync worker; --timeout never stops a request on a
    pool thread (the main thread keeps telling the arbiter the worker is alive)."""

    def enqueue_req(self, conn):
        """Serve a request on the worker's main thread when it has arrived whole and cannot wait;
        hand it to a pool thread otherwise (gunicorn's way).

        gunicorn's threaded worker hands every request from the main thread, which accepts, to
        a pool thread and back: two thread switches, a pipe write and a selector per request,
        about a fifth of a short request's cost. A request already received whole (its head
        and its Content-Length of body, peeked without reading) cannot keep the main thread
        waiting on its client: unless it may wait on the engine (a long-polling fetchAndLock)
        or send a file (a bundle of the modeler, at the client's pace), it is served where it
        was accepted, as gunicorn's sync worker does. The others (a client still sending,
        chunked, an upgrade, TLS, a long poll, a file) go to the pool, so neither a slow
        client nor a long poll holds up the worker. A connection that its client
        closed or reset (the peek finds its end, and nothing before it) is closed here at once:
        gunicorn would hand it to a pool thread, which builds a parser and a request only to
        meet that end. With a connection for each client call, as in
        bench/api_throughput.py, that was about a tenth of the server's CPU.
        """
        if self.cfg.is_ssl or (conn.parser is not None and conn.parser.unreader.buf.getvalue()):
            return super().enqueue_req(conn)
        waiting = peek(conn.sock)
        done: futures.Future = futures.Future()
        if waiting == b"":  # the client closed or reset, and sent nothing more: close our side
            done.set_result(False)
            return self.finish_request(conn, done)
        head = whole_request_head(waiting)
        if head is None or for_pool(head):
            return super().enqueue_req(conn)
        conn.data_ready = True
        try:
            done.set_result(self.handle(conn))
        except SystemExit as exc:  # the arbiter aborted this worker (past --timeout): answer, then stop
            self.handle_error(None, conn.sock, conn.client, exc)
            self.alive = False
            done.set_result(False)
        self.finish_request(conn, done)


PEEK_BYTES = 65_536  # a request whose head and body do not fit goes to a pool thread
LONG_POLL_SUFFIX = b"/external-task/fetchAndLock"  # /engine-rest/... (api/resources/external_tasks.py) may wait
FILE_PREFIXES = (b"/vendor/", b"/assets/", b"/static/", b"/api/docs/assets/")  # api/web/assets.py, api/docs.py


def peek(sock: socket.socket) -> bytes | None:
    """What waits on `sock`, left there for gunicorn's parser (up to PEEK_BYTES); None when
    nothing has arrived yet. b"" when the client closed its side and sent nothing more, or on
    an error (a reset): there is no request to read, only the connection to close."""
    try:
        return sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def whole_request_head(data: bytes | None) -> bytes | None:
    """The head of the HTTP/1 request `data` (peeked) when all of it and its body have arrived;
    None when some is still to come, when it is chunked, an upgrade or a 100-continue, or when
    nothing came."""
    if not data:
        return None
    end = data.find(b"\r\n\r\n")
    if end < 0 or data.startswith(b"PRI "):  # incomplete, or HTTP/2's preface
        return None
    head = data[:end]
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name in (b"transfer-encoding", b"upgrade", b"expect"):
            return None
        if name == b"content-length":
            if length is not None:  # two lengths: which one gunicorn reads is its business
                return None
            try:
                length = int(value.strip())
            except ValueError:
                return None  # gunicorn answers it (400)
    return head if len(data) >= end + 4 + (length or 0) else None


def for_pool(head: bytes) -> bool:
    """Whether a request that arrived whole still goes to a pool thread: a long-polling
    fetchAndLock (it may wait on the engine) or a file (sent at the client's pace)."""
    target = head.split(b"\r\n", 1)[0].split(b" ")
    path = target[1].split(b"?", 1)[0] if len(target) > 1 else b""
    return path.endswith(LONG_POLL_SUFFIX) or path.startswith(FILE_PREFIXES)


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
