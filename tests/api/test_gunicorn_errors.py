"""`diwan serve` through a real gunicorn: the errors gunicorn answers itself (a request line
or headers over its limits, a malformed request, a worker timeout) are diwan's JSON error
body under /api, not gunicorn's HTML."""
from __future__ import annotations

import json
import shutil
import socket
import time

import pytest

from tests.conftest import PG_URL

from .serve_process import diwan_serve

TIMEOUT = 2  # gunicorn's --timeout for these tests (DIWAN_REQUEST_TIMEOUT_SECONDS)


def _exchange(port: int, *parts: bytes, pause: float = 0.0, timeout: float = 30) -> bytes:
    """Send `parts` (pausing between them), then read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for i, part in enumerate(parts):
            if i and pause:
                time.sleep(pause)
            sock.sendall(part)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.fixture(scope="module", params=["8", "1"], ids=["threaded", "sync"])
def server(request, _template, tmp_path_factory):
    """One server per worker kind (these tests are about gunicorn, not the data): the default
    threaded workers (DIWAN_THREADS=8) and the sync worker (DIWAN_THREADS=1)."""
    tmp_path = tmp_path_factory.mktemp("serve")
    database_url = _template if PG_URL else f"sqlite:///{shutil.copy(_template, tmp_path / 'diwan.db')}"
    with diwan_serve(database_url, tmp_path / "serve.log", THREADS=request.param,
                     REQUEST_TIMEOUT_SECONDS=str(TIMEOUT), PASSWORD_PROFILE="CHEAPEST") as port:
        yield port


def _json_error(raw: bytes, status: int, code: str) -> dict:
    got, headers, body = _parse(raw)
    assert got == status, raw[:500]
    assert headers["content-type"] == "application/json"
    error = json.loads(body)
    assert error["code"] == code and error["message"]
    return error


def test_gunicorn__a_10_kb_request_line_under_api_is_a_json_414(server):
    raw = _exchange(server, b"GET /api/v1/tasks?q=" + b"a" * 10_240 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    error = _json_error(raw, 414, "too_large")
    assert "Request Line is too large" in error["message"]


def test_gunicorn__headers_over_the_limit_are_a_json_431(server):
    raw = _exchange(server, b"GET /api/v1/tasks HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 10_000 + b"\r\n\r\n")
    _json_error(raw, 431, "too_large")


def test_gunicorn__a_malformed_request_under_api_is_a_json_400(server):
    raw = _exchange(server, b"GET /api/v1/tasks HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n")
    error = _json_error(raw, 400, "bad_request")
    assert "Invalid HTTP Header" in error["message"]


def test_gunicorn__the_app_answers_its_own_errors_as_before(server):
    status, headers, body = _parse(_exchange(server, b"GET /api/v1/tasks HTTP/1.1\r\nHost: t\r\n\r\n"))
    assert status == 401 and json.loads(body)["code"] == "unauthorized"


def test_gunicorn__a_request_past_the_worker_timeout_gets_a_json_503_not_a_500_page(server, request):
    if request.node.callspec.params.get("server") != "1":
        pytest.skip("a threaded worker hands a client that stalls mid-request to a pool thread and never times "
                    "out on it (its main thread keeps it alive): tests/api/test_inline_serving.py covers its 503")
    started = time.monotonic()
    # A client that announces a body and stops sending: the worker waits on it until
    # gunicorn's timeout aborts it; the client still gets an answer in our shape.
    raw = _exchange(server, b"POST /api/v1/auth/token HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 100\r\n\r\n", b'{"username": "am', pause=0.1)
    error = _json_error(raw, 503, "unavailable")
    assert f"({TIMEOUT} s)" in error["message"]
    assert _parse(raw)[1]["retry-after"] == "5"
    assert time.monotonic() - started < TIMEOUT + 10
    deadline = time.monotonic() + 30  # the arbiter starts a new worker
    while True:
        try:
            if _parse(_exchange(server, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", timeout=5))[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.2)
