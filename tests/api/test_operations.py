"""Operations: metrics, the OpenAPI document, docs, request ids and logs, the secret key, a real server."""
from __future__ import annotations

import json
import logging
import os
import stat
import threading
import urllib.request
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from api import create_app
from engine import Engine, EngineSettings
from tests.api.conftest import PASSWORD, TEST_CONFIG, start_loop

# Every route of API.md this issue serves (incidents, clock, state and verify come with their issues).
CONTRACT = {
    ("post", "/api/v1/auth/token"), ("post", "/api/v1/auth/logout"), ("post", "/api/v1/users"),
    ("post", "/api/v1/deployments"), ("get", "/api/v1/process-definitions"),
    ("get", "/api/v1/process-definitions/{key}"), ("get", "/api/v1/process-definitions/{key}/versions"),
    ("get", "/api/v1/process-definitions/{key}/xml"), ("get", "/api/v1/decisions/{key}/xml"),
    ("get", "/api/v1/forms/{key}"), ("post", "/api/v1/process-definitions/{key}/start"),
    ("get", "/api/v1/process-instances"), ("get", "/api/v1/process-instances/{instance_id}"),
    ("post", "/api/v1/process-instances/{instance_id}/cancel"),
    ("post", "/api/v1/process-instances/{instance_id}/suspend"),
    ("post", "/api/v1/process-instances/{instance_id}/resume"), ("get", "/api/v1/tasks"),
    ("get", "/api/v1/tasks/{task_id}"), ("post", "/api/v1/tasks/{task_id}/claim"),
    ("post", "/api/v1/tasks/{task_id}/unclaim"), ("post", "/api/v1/tasks/{task_id}/complete"),
    ("post", "/api/v1/messages"), ("get", "/api/v1/process-instances/{instance_id}/history"),
    ("get", "/healthz"), ("get", "/metrics"),
}


def test_openapi__documents_every_contract_route(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    operations = {(m, p): op for p, item in doc["paths"].items() for m, op in item.items() if m in ("get", "post")}
    assert CONTRACT <= set(operations)
    assert all(op.get("summary") for op in operations.values())
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert operations[("get", "/api/v1/tasks")]["security"] == [{"bearerAuth": []}]
    assert operations[("post", "/api/v1/auth/token")]["security"] == []
    params = {p["name"] for p in operations[("get", "/api/v1/tasks")]["parameters"]}
    assert {"assigned_to_me", "candidate_group", "definition_key", "instance_id", "page", "per_page"} <= params
    deploy = operations[("post", "/api/v1/deployments")]["requestBody"]["content"]
    assert "multipart/form-data" in deploy


METRICS = {"Authorization": "Bearer metrics-secret-token"}


def test_metrics__requests_commands_timers_and_open_tasks(call, deployed, clock, app):
    app.config["METRICS_TOKEN"] = "metrics-secret-token"
    start_loop(call)
    call("post", "/api/v1/process-definitions/ebg/start", "clerk", json={"business_key": "B"})
    clock.advance(timedelta(days=16))
    assert deployed.fire_due_timers() == 1
    response = call("get", "/metrics", None, headers=METRICS)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'diwan_http_request_duration_seconds_count{method="POST",route="/api/v1/process-definitions/<key>/start",' \
           'status="201"} 2.0' in text
    assert 'diwan_commands_total{command="StartInstance",outcome="ok"} 2.0' in text
    assert 'diwan_commands_total{command="FireTimer",outcome="ok"} 1.0' in text
    assert "diwan_timers_fired_total 1.0" in text
    assert 'diwan_open_tasks{definition_key="loop"} 1.0' in text
    call("post", "/api/v1/process-definitions/loop/start", "clerk", json={"data": {"count": "x", "limit": 1}})
    call("post", "/api/v1/process-definitions/nope/start", "clerk", json={})
    text = call("get", "/metrics", None, headers=METRICS).get_data(as_text=True)
    assert 'diwan_commands_total{command="StartInstance",outcome="not_found"} 1.0' in text


def test_metrics__need_the_metrics_token_and_are_off_without_one(engine):
    off = create_app(dict(TEST_CONFIG), engine=engine).test_client()
    response = off.get("/metrics", headers=METRICS)
    assert response.status_code == 404 and "DIWAN_METRICS_TOKEN" in response.get_json()["message"]
    client = create_app({**TEST_CONFIG, "METRICS_TOKEN": "metrics-secret-token"}, engine=engine).test_client()
    assert client.get("/metrics", headers=METRICS).status_code == 200
    for headers in ({}, {"Authorization": "Bearer metrics-secret-tokeN"}, {"Authorization": "Basic bWV0cmljcw=="}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.get_json()["code"] == "unauthorized", headers
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    store = client.application.extensions["diwan.users"]
    admin_token = store.issue_token(store.create_user("root", PASSWORD, ["admin"])).token
    assert client.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 401


def test_metrics__the_token_from_the_environment(engine, monkeypatch):
    monkeypatch.setenv("DIWAN_METRICS_TOKEN", "12345678")  # read as JSON: a number, compared as text
    client = create_app(dict(TEST_CONFIG), engine=engine).test_client()
    assert client.get("/metrics", headers={"Authorization": "Bearer 12345678"}).status_code == 200
    assert client.get("/metrics").status_code == 401


def test_docs__the_installed_swagger_ui_by_default(engine):
    # scripts/setup-venv installs swagger-ui-dist from package.json (npm, no CDN).
    client = create_app(dict(TEST_CONFIG), engine=engine).test_client()
    assert client.get("/api/docs").status_code == 200
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.data) > 100_000


def test_docs__served_from_the_configured_assets(engine, tmp_path):
    missing = create_app({**TEST_CONFIG, "DOCS_ASSETS": str(tmp_path / "none")},
                         engine=engine).test_client().get("/api/docs")
    assert missing.status_code == 404 and "DIWAN_DOCS_ASSETS" in missing.get_json()["message"]
    (tmp_path / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = function () {};")
    (tmp_path / "swagger-ui.css").write_text("body {}")
    client = create_app({**TEST_CONFIG, "DOCS_ASSETS": str(tmp_path)}, engine=engine).test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"/api/v1/openapi.json" in page.data and b"https://" not in page.data
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").data.startswith(b"window.SwaggerUIBundle")
    assert client.get("/api/docs/assets/../../etc/passwd").status_code == 404


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_logs__one_json_line_per_request_with_its_request_id(client):
    from api.request_log import JsonLinesFormatter

    handler = _Lines()
    handler.setFormatter(JsonLinesFormatter())
    logger = logging.getLogger("diwan.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        given = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
        made = client.get("/api/v1/nope")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert given.headers["X-Request-Id"] == "abc-123"
    assert len(made.headers["X-Request-Id"]) == 32
    first, second = (json.loads(line) for line in handler.lines)
    assert first["request_id"] == "abc-123" and first["status"] == 200 and first["route"] == "/healthz"
    assert second["request_id"] == made.headers["X-Request-Id"] and second["status"] == 404
    assert {"ts", "level", "method", "path", "duration_ms", "user"} <= set(first)


def test_secret_key__generated_beside_a_sqlite_database_and_kept(tmp_path):
    url = f"sqlite:///{tmp_path / 'diwan.db'}"
    engine = Engine(settings=EngineSettings(database_url=url))
    first = create_app({"DATABASE_URL": url}, engine=engine)
    second = create_app({"DATABASE_URL": url}, engine=engine)
    secret = tmp_path / "diwan.db.secret"
    assert first.secret_key == second.secret_key == secret.read_text().strip()
    assert len(first.secret_key) == 64 and stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert create_app({"SECRET_KEY": "given"}, engine=engine).secret_key == "given"
    engine.dispose()


def test_secret_key__required_outside_sqlite():
    engine = Engine(settings=EngineSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with pytest.raises(RuntimeError, match="DIWAN_SECRET_KEY"):
        create_app({}, engine=engine)


def test_real_server__login_then_inbox_over_http(app, deployed, tokens):
    start_loop_as_admin = app.test_client().post(
        "/api/v1/process-definitions/loop/start", headers={"Authorization": f"Bearer {tokens['admin']}"},
        json={"data": {"count": 0, "limit": 1}})
    assert start_loop_as_admin.status_code == 201
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        login = urllib.request.Request(f"{base}/api/v1/auth/token", method="POST",
                                       data=json.dumps({"username": "amina", "password": PASSWORD}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=10) as response:
            token = json.load(response)["token"]
        inbox = urllib.request.Request(f"{base}/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(inbox, timeout=10) as response:
            assert response.status == 200 and json.load(response)["total"] == 1
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/v1/tasks", timeout=10)
        assert refused.value.code == 401 and json.load(refused.value)["code"] == "unauthorized"
    finally:
        server.shutdown()
        thread.join(5)
