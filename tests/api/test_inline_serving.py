"""The threaded worker serves a request that arrived whole on its main thread, and hands the
others (a client still sending, a long-polling fetchAndLock) to its pool: api/serving.py.

In process: a real gunicorn worker object over real sockets, with a WSGI app that records the
thread it runs on. Through `diwan serve`: a long poll and a stalled client never hold up a
one-worker server.
"""
from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import struct
import threading
import time
from concurrent import futures

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import TConn

from api.serving import FILE_PREFIXES, JsonErrorThreadWorker, for_pool, peek, whole_request_head
from engine import Engine, EngineSettings
from engine.identity import UserStore

from .serve_process import diwan_serve



def _pair() -> tuple[socket.socket, socket.socket]:
    """A connected TCP pair on 127.0.0.1: (client, server side)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        served, _ = listener.accept()
    return client, served


def _settled(sock: socket.socket) -> None:
    """Wait until what the peer sent is readable here (loopback delivers at once, but not in the
    same instruction)."""
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        selector.select(2)


@pytest.mark.parametrize("raw", [
    b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
    b'POST /api/v1/auth/token HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}',
    b"POST /x HTTP/1.1\r\nHost: t\r\ncontent-length: 0\r\n\r\n",
])
def test_whole_request_head__a_request_received_whole_is_peeked_and_left_on_the_socket(raw):
    client, served = _pair()
    with client, served:
        client.sendall(raw)
        _settled(served)
        assert whole_request_head(peek(served)) == raw.split(b"\r\n\r\n")[0]
        assert served.recv(65536) == raw  # still there for gunicorn's parser


@pytest.mark.parametrize("raw", [
    b"",  # nothing yet
    b"GET /healthz HTTP/1.1\r\nHost: t\r\n",  # the head is still coming
    b'POST /api/v1/auth/token HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{"user',  # the body is
    b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: many\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 50\r\n\r\n",
])
def test_whole_request_head__none_when_it_may_still_have_to_read_from_the_client(raw):
    client, served = _pair()
    with client, served:
        if raw:
            client.sendall(raw)
            _settled(served)
        assert whole_request_head(peek(served)) is None


def test_peek__nothing_yet_is_none_the_end_or_an_error_is_empty():
    client, served = _pair()
    with served:
        assert peek(served) is None  # nothing yet: a pool thread waits for it
        client.close()
        _settled(served)
        assert peek(served) == b""  # the client closed
    assert peek(served) == b""  # an error (here: our side is closed): no request, a connection to close
    assert whole_request_head(None) is None and whole_request_head(b"") is None


def test_for_pool__the_long_polling_fetch_and_lock_and_the_files():
    assert for_pool(b"POST /engine-rest/external-task/fetchAndLock HTTP/1.1\r\nHost: t")
    assert for_pool(b"POST /engine-rest/external-task/fetchAndLock?x=1 HTTP/1.1")
    assert for_pool(b"GET /vendor/bpmn-js/dist/bpmn-modeler.development.js HTTP/1.1\r\nHost: t")
    assert for_pool(b"GET /assets/diwan.css HTTP/1.1")
    assert not for_pool(b"POST /engine-rest/external-task/x/complete HTTP/1.1\r\nHost: t")
    assert not for_pool(b"GET /api/v1/tasks HTTP/1.1")
    assert not for_pool(b"GET /api/v1/vendor/ HTTP/1.1")
    assert not for_pool(b"garbage")


def test_for_pool__names_routes_of_the_app(database_url):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t"})
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    assert [r for r in rules if r.endswith("/external-task/fetchAndLock")]
    for prefix in FILE_PREFIXES:  # each is a route that sends files
        assert [r for r in rules if r.startswith(prefix.decode()) and "<" in r], prefix


class _CountingPool(futures.ThreadPoolExecutor):
    """A real pool that counts what is handed to it."""

    def __init__(self, workers: int):
        super().__init__(workers)
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


class _CountingWorker(JsonErrorThreadWorker):
    """The real worker, counting the connections it reads a request from."""

    handled = 0

    def handle(self, conn):
        self.handled += 1
        return super().handle(conn)


class _Worker:
    """A real JsonErrorThreadWorker, its loop driven by the test (gunicorn's run() would block)."""

    def __init__(self, app):
        cfg = Config()
        cfg.set("threads", 4)
        cfg.set("keepalive", 2)
        self.worker = _CountingWorker(0, os.getppid(), [], None, 30, cfg, Logger(cfg))
        self.worker.wsgi = app
        self.worker.tpool = _CountingPool(4)
        self.worker.poller = selectors.DefaultSelector()
        self.worker.method_queue.init()
        self.worker.poller.register(self.worker.method_queue.fileno(), selectors.EVENT_READ,
                                    self.worker.method_queue.run_callbacks)

    def serve(self, served: socket.socket) -> None:
        served.setblocking(True)
        self.worker.nr_conns += 1
        self.worker.enqueue_req(TConn(self.worker.cfg, served, ("127.0.0.1", 1), ("127.0.0.1", 2)))

    def turn(self) -> None:
        self.worker.wait_for_and_dispatch_events(0.05)

    def close(self) -> None:
        self.worker.tpool.shutdown(wait=True)
        self.worker.poller.close()
        self.worker.method_queue.close()


def _recording_app(threads: list[int]):
    def app(environ, start_response):
        body = environ["wsgi.input"].read()  # then the thread: the request is whole
        threads.append(threading.get_ident())
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body) + 2))])
        return [b"[" + body + b"]"]

    return app


def _answer(client: socket.socket) -> bytes:
    """One whole answer (head and Content-Length of body)."""
    client.settimeout(5)
    data = b""
    while True:
        head, found, body = data.partition(b"\r\n\r\n")
        if found:
            lengths = [int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
            if len(body) >= (lengths[0] if lengths else 0):
                return data
        chunk = client.recv(65536)
        assert chunk, data
        data += chunk


@contextlib.contextmanager
def _serving(app, raw: bytes):
    """A real worker serving `app`, handed a connection on which `raw` has arrived:
    yields (worker, client socket, served socket)."""
    worker = _Worker(app)
    client, served = _pair()
    try:
        client.sendall(raw)
        _settled(served)
        worker.serve(served)
        yield worker, client, served
    finally:
        client.close()
        worker.close()


def _turn_until(worker: _Worker, done) -> None:
    """Run the worker's loop until `done()` (at most 5 s)."""
    deadline = time.monotonic() + 5
    while not done() and time.monotonic() < deadline:
        worker.turn()


def test_worker__a_whole_request_is_served_on_the_main_thread_before_enqueue_returns():
    threads: list[int] = []
    raw = b"POST /api/v1/tasks HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}"
    with _serving(_recording_app(threads), raw) as (worker, client, _):
        assert threads == [threading.get_ident()]
        assert _answer(client).startswith(b"HTTP/1.1 200 OK")
        # Kept alive: the next request on the connection is served inline too, from the poller.
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        _turn_until(worker, lambda: len(threads) >= 2)
        assert threads == [threading.get_ident()] * 2


@pytest.mark.parametrize("ending", ["close", "reset"])
def test_worker__a_kept_alive_connection_its_client_ends_is_closed_on_the_main_thread(ending):
    with _serving(_recording_app([]), b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n") as (worker, client, served):
        assert _answer(client).startswith(b"HTTP/1.1 200 OK")
        assert worker.worker.keepalived_conns  # waiting on the poller for a next request
        if ending == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        _turn_until(worker, lambda: not worker.worker.nr_conns)
        assert worker.worker.nr_conns == 0 and served.fileno() == -1
        assert worker.worker.tpool.submitted == 0  # gunicorn alone hands it to a pool thread,
        assert worker.worker.handled == 1  # which reads it (a parser, a request) to meet its end


def test_worker__a_request_still_arriving_goes_to_a_pool_thread_which_waits_for_the_rest():
    threads: list[int] = []
    raw = b"POST /api/v1/tasks HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\n{\"a\""
    with _serving(_recording_app(threads), raw) as (_, client, _):
        # serve() returned at once: the main thread does not wait for the client
        assert threads == []
        client.sendall(b":1}")
        answer = _answer(client)
        assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b'[{"a":1}]')
        assert len(threads) == 1 and threads[0] != threading.get_ident()


@pytest.mark.parametrize("line", [b"POST /engine-rest/external-task/fetchAndLock HTTP/1.1",
                                  b"GET /vendor/bpmn-js/dist/bpmn-modeler.development.js HTTP/1.1"],
                         ids=["long poll", "file"])
def test_worker__a_long_poll_or_a_file_goes_to_a_pool_thread(line):
    threads: list[int] = []
    with _serving(_recording_app(threads), line + b"\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}") as (_, client, _):
        assert _answer(client).startswith(b"HTTP/1.1 200 OK")
        assert len(threads) == 1 and threads[0] != threading.get_ident()


def test_worker__a_request_aborted_inline_past_the_timeout_gets_a_json_503_and_the_worker_stops():
    def aborted(environ, start_response):
        raise SystemExit(1)  # what gunicorn's SIGABRT handler raises in the running frame

    with _serving(aborted, b"GET /api/v1/tasks HTTP/1.1\r\nHost: t\r\n\r\n") as (worker, client, _):
        head, _, body = _answer(client).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"Retry-After: 5" in head
        assert json.loads(body)["code"] == "unavailable"
        assert worker.worker.alive is False


# Through `diwan serve`: one worker, so anything that held its main thread would show.

def _call(port: int, method: str, path: str, body=None, token: str | None = None, timeout: float = 30):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data else None


@pytest.fixture
def one_worker(database_url, tmp_path):
    engine = Engine(settings=EngineSettings(database_url=database_url))
    engine.upgrade_schema()
    UserStore(engine.db).create_user("robot", "robot-password-1", ["worker"], [])
    engine.dispose()
    with diwan_serve(database_url, tmp_path / "serve.log", THREADS="4", PASSWORD_PROFILE="CHEAPEST") as port:
        yield port


def test_serve__a_long_poll_and_a_stalled_client_do_not_hold_up_a_one_worker_server(one_worker):
    port = one_worker
    status, body = _call(port, "POST", "/api/v1/auth/token", {"username": "robot", "password": "robot-password-1"})
    assert status == 200, body
    token = body["token"]
    polled: list = []
    started = time.monotonic()
    poll = threading.Thread(target=lambda: polled.append(_call(
        port, "POST", "/engine-rest/external-task/fetchAndLock",
        {"workerId": "w1", "maxTasks": 1, "asyncResponseTimeout": 3000, "topics": [{"topicName": "none",
                                                                                     "lockDuration": 1000}]},
        token)))
    poll.start()
    stalled = socket.create_connection(("127.0.0.1", port))
    try:
        stalled.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"us")
        time.sleep(0.5)
        for _ in range(5):  # answered while the poll waits and the stalled client sends nothing
            t0 = time.monotonic()
            assert _call(port, "GET", "/healthz", timeout=5)[0] == 200
            assert time.monotonic() - t0 < 1.0
        assert not polled and time.monotonic() - started < 2.5
        poll.join(30)
        assert polled == [(200, [])]
        assert time.monotonic() - started >= 2.5
    finally:
        stalled.close()
