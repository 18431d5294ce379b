"""External-task throughput: workers fetching, locking and completing tasks.

1. Engine: N instances of `start -> external task (topic work) -> end`; one loop (or, on
   PostgreSQL, several threads, each its own worker id) fetches 10 at a time and completes
   each: tasks completed per second, fetch included.
2. HTTP: the same through /engine-rest on `diwan serve` (gunicorn, 2 workers), with
   Camunda's Python client (`camunda-external-task-client-python3`, Basic auth; it opens a
   connection per request): what one client gets.

Last line: `external tasks completed/s (sqlite, engine, 1 worker): N`.

Usage: .venv/bin/python bench/external_tasks.py [--tasks 2000] [--pg postgresql+psycopg://postgres@127.0.0.1/db]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from engine import ConnectorRegistry, Engine, EngineSettings, FetchAndLock, SYSTEM, TopicRequest  # noqa: E402

BPMN = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="ext" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>
<bpmn:serviceTask id="w" camunda:type="external" camunda:topic="work"/>
<bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>
</bpmn:definitions>"""
REQUEST = lambda worker: FetchAndLock(SYSTEM, worker, 10, (TopicRequest("work", 60_000),))  # noqa: E731


def _engine(url: str, n: int) -> Engine:
    engine = Engine(settings=EngineSettings(database_url=url), connectors=ConnectorRegistry())
    engine.upgrade_schema()
    engine.deploy([("ext.bpmn", BPMN)])
    for _ in range(n):
        engine.start("ext", {"amount": 100, "applicant": "Fatima"})
    return engine


def _completed(engine: Engine) -> int:
    with engine.db.connect() as conn:
        return conn.execute(sa.text("select count(*) from audit_event where type = 'external_task_completed'")
                            ).scalar_one()


def engine_rate(url: str, n: int, workers: int) -> float:
    engine = _engine(url, n)

    def work(worker: str) -> None:
        while True:
            tasks = engine.fetch_and_lock(REQUEST(worker))
            if not tasks:
                return
            for t in tasks:
                engine.complete_external_task(t.id, worker, {"checked": True})

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    done = _completed(engine)
    engine.dispose()
    assert done == n, (done, n)
    return n / elapsed


def http_rate(url: str, n: int) -> float:
    """One Python client against `diwan serve` (gunicorn, 2 workers) in a subprocess."""
    import os
    import socket
    import subprocess
    import urllib.request

    from engine.identity import UserStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from camunda.client.external_task_client import ExternalTaskClient

    engine = _engine(url, n)
    UserStore(engine.db).create_user("robot", "robot-password", ["worker"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DIWAN_DATABASE_URL": url, "DIWAN_WORKER": "off", "DIWAN_WORKERS": "2",
           "DIWAN_SECRET_KEY": "bench", "DIWAN_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--no-deploy"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        client = ExternalTaskClient("py", f"http://127.0.0.1:{port}/engine-rest",
                                    {"auth_basic": {"username": "robot", "password": "robot-password"},
                                     "maxTasks": 10, "asyncResponseTimeout": 0})
        t0 = time.perf_counter()
        while True:
            tasks = client.fetch_and_lock("work")
            if not tasks:
                break
            for t in tasks:
                client.complete(t["id"], {"checked": True})
        elapsed = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(30)
    done = _completed(engine)
    engine.dispose()
    assert done == n, (done, n)
    return n / elapsed


def _fresh_pg(url: str) -> str:
    db = sa.create_engine(url)
    with db.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--pg", help="a PostgreSQL database to use (emptied first)")
    args = parser.parse_args()
    if args.pg:
        print(f"postgresql, engine, 2 workers: {engine_rate(_fresh_pg(args.pg), args.tasks, 2):.0f} tasks/s")
        print(f"postgresql, HTTP, Python client: {http_rate(_fresh_pg(args.pg), args.tasks // 4):.0f} tasks/s")
    with tempfile.TemporaryDirectory() as d:
        print(f"sqlite, HTTP, Python client: {http_rate(f'sqlite:///{d}/http.db', args.tasks // 4):.0f} tasks/s")
    with tempfile.TemporaryDirectory() as d:
        rate = engine_rate(f"sqlite:///{d}/engine.db", args.tasks, 1)
    print(f"external tasks completed/s (sqlite, engine, 1 worker): {rate:.0f}")


if __name__ == "__main__":
    main()
