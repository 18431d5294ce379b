"""While the database cannot be reached (down, restarting, an unopenable file, a backend
killed mid-request) every request that needs it answers 503 `unavailable` with Retry-After,
never a 500; /healthz says 503 while the database cannot take a write."""
from __future__ import annotations

import re
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from api import create_app
from engine import Engine, EngineSettings
from tests.api.conftest import PASSWORD, TEST_CONFIG, ready_task, start_loop
from tests.conftest import PG_URL, fixture_files

needs_pg = pytest.mark.skipif(PG_URL is None, reason="PostgreSQL (DIWAN_TEST_DATABASE_URL)")
BEARER = {"Authorization": "Bearer some-token-from-before"}


def _assert_503(response):
    assert response.status_code == 503, (response.status_code, response.data[:300])
    body = response.get_json()
    assert body["code"] == "unavailable" and "retry" in body["message"]
    assert int(response.headers["Retry-After"]) >= 1


def _requests(client):
    return [
        client.post("/api/v1/auth/token", json={"username": "amina", "password": PASSWORD}),
        client.get("/api/v1/tasks", headers=BEARER),
        client.get("/api/v1/process-instances/abc", headers=BEARER),
        client.post("/api/v1/process-definitions/loop/start", json={"data": {}}, headers=BEARER),
        client.get("/api/v1/auth/me", headers=BEARER),
    ]


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:1/none", "sqlite:///{tmp}/missing/diwan.db"],
                         ids=["nobody-listens", "unopenable-sqlite-file"])
def test_api__503_with_retry_after_when_the_database_cannot_be_reached(url, tmp_path):
    engine = Engine(settings=EngineSettings(database_url=url.format(tmp=tmp_path)))
    client = create_app(dict(TEST_CONFIG), engine=engine).test_client()
    for response in _requests(client):
        _assert_503(response)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["status"] == "error" and health.get_json()["database"] == "unreachable"
    form = client.get("/login").get_data(as_text=True)  # the login page itself needs no database
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    page = client.post("/login", data={"username": "amina", "password": PASSWORD, "csrf_token": csrf})
    assert page.status_code == 503 and "Service momentanément indisponible" in page.get_data(as_text=True)
    engine.dispose()


def test_healthz__503_while_the_sqlite_write_lock_is_held_200_once_released(tmp_path):
    path = tmp_path / "diwan.db"
    engine = Engine(settings=EngineSettings(database_url=f"sqlite:///{path}"))
    engine.upgrade_schema()
    client = create_app({**TEST_CONFIG, "HEALTH_TIMEOUT_SECONDS": 0.3}, engine=engine).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    stuck = sqlite3.connect(path, isolation_level=None)
    stuck.execute("BEGIN IMMEDIATE")  # a command that holds the write lock and does not finish
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "error" and body["database"] == "unwritable"
        assert "write lock could not be had within 0.3 s" in body["detail"]
    finally:
        stuck.execute("ROLLBACK")
        stuck.close()
    assert client.get("/healthz").status_code == 200
    engine.dispose()


def _admin():
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@needs_pg
def test_api__backend_killed_while_a_request_waits__503_and_the_task_unchanged(call, deployed):
    task = ready_task(call, start_loop(call)["id"])
    admin, responses = _admin(), []
    holder = admin.connect()
    holder.exec_driver_sql("BEGIN")
    holder.execute(sa.text("select id from instance where id = :i for update"), {"i": task["instance_id"]})
    worker = threading.Thread(target=lambda: responses.append(
        call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {}})))
    worker.start()
    try:
        for _ in range(500):
            with admin.connect() as conn:
                pid = conn.execute(sa.text("select pid from pg_stat_activity where datname = current_database() "
                                           "and wait_event_type = 'Lock'")).scalar()
            if pid is not None:
                break
            threading.Event().wait(0.01)
        assert pid is not None, "the completion never waited for the lock"
        with admin.connect() as conn:
            conn.execute(sa.text("select pg_terminate_backend(:p)"), {"p": pid})
        worker.join(30)
    finally:
        holder.exec_driver_sql("ROLLBACK")
        holder.close()
        admin.dispose()
    [response] = responses
    _assert_503(response)
    assert call("get", f"/api/v1/tasks/{task['id']}", "clerk").get_json()["state"] == "ready"
    assert call("post", f"/api/v1/tasks/{task['id']}/complete", "clerk", json={"data": {}}).status_code == 200


@needs_pg
def test_api__backends_killed_during_requests__never_a_500(call, deployed):
    stop = threading.Event()

    def killer():
        admin = _admin()
        while not stop.is_set():
            with admin.connect() as conn:
                conn.execute(sa.text("select pg_terminate_backend(pid) from pg_stat_activity where datname = "
                                     "current_database() and pid <> pg_backend_pid() and "
                                     "backend_type = 'client backend'"))
            stop.wait(0.01)
        admin.dispose()

    statuses = []
    thread = threading.Thread(target=killer)
    thread.start()
    try:
        for i in range(40):
            for method, path, who, body in (
                    ("post", "/api/v1/process-definitions/loop/start", "clerk", {"data": {"count": 0, "limit": 1}}),
                    ("get", "/api/v1/process-instances", "clerk", None), ("get", "/api/v1/tasks", "clerk", None),
                    ("post", "/api/v1/auth/token", None, {"username": "amina", "password": PASSWORD})):
                response = call(method, path, who, json=body)
                statuses.append(response.status_code)
                if response.status_code == 503:
                    assert response.get_json()["code"] == "unavailable" and response.headers["Retry-After"]
    finally:
        stop.set()
        thread.join()
    assert set(statuses) <= {200, 201, 503}, statuses
    assert call("get", "/healthz", None).status_code == 200
    assert call("get", "/api/v1/tasks", "clerk").status_code == 200


@needs_pg
def test_healthz__503_on_a_read_only_postgresql(engine):
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": "-c default_transaction_read_only=on"})
    read_only = Engine(settings=EngineSettings(database_url=url.render_as_string(hide_password=False)))
    client = create_app(dict(TEST_CONFIG), engine=read_only).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unwritable"
    read_only.dispose()
