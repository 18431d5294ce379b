"""API throughput through real HTTP: gunicorn (2 workers) on SQLite and on PostgreSQL.

4 client threads each run, over and over: start an instance of a simple process
(start -> script -> user task -> end), find its task, complete it. Prints instances/s,
p50/p99 latency per call and the CPU time one instance cost (the server's processes, the
database's backends on PostgreSQL and this client, read from /proc on Linux: steadier than
instances/s on a machine whose load varies, so compare code by it, back to back). The client's
work does not change with the server's code, so `server/client` (the server's CPU over the
client's) compares two versions of the server even when the machine's speed drifts between
their runs. Last line `api instances/s: N` (SQLite).

Usage: .venv/bin/python bench/api_throughput.py [--seconds 20] [--pg postgresql+psycopg://postgres@127.0.0.1/db]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BPMN = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
 xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="simple" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc"/>
<bpmn:scriptTask id="calc"><bpmn:script>total = amount * 2</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="review"/>
<bpmn:userTask id="review" name="Examiner" camunda:candidateGroups="bench"/>
<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>
</bpmn:definitions>"""
THREADS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, method, path, token=None, body=None, content_type="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    t0 = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    return response.status, (json.loads(payload) if payload else None), elapsed


def _cpu_seconds(server_pid: int, database: str | None) -> dict[str, float] | None:
    """CPU time so far of the server and every process under it (workers, script hosts), of
    PostgreSQL's backends serving `database`, and of this process, the client (None without /proc)."""
    if not os.path.isdir("/proc/self"):
        return None
    tick, procs = os.sysconf("SC_CLK_TCK"), {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().split(b"\0")[0]
        except OSError:  # ended meanwhile
            continue
        procs[int(pid)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, command)
    ours = {server_pid, os.getpid()}
    grew = True
    while grew:  # the server's descendants
        more = {pid for pid, (ppid, _, _) in procs.items() if ppid in ours} - ours
        ours |= more
        grew = bool(more)
    backend = f" {database} ".encode() if database else None
    out = {"server": 0.0, "database": 0.0, "client": 0.0}
    for pid, (_, cpu, command) in procs.items():
        if pid == os.getpid():
            out["client"] += cpu
        elif pid in ours:
            out["server"] += cpu
        elif backend and command.startswith(b"postgres: ") and backend in command:
            out["database"] += cpu
    return out


def run(url: str, seconds: float) -> tuple[float, dict[str, list[float]], dict[str, float] | None]:
    from engine import Engine, EngineSettings
    from engine.identity import UserStore

    engine = Engine(settings=EngineSettings(database_url=url))
    engine.upgrade_schema()
    engine.deploy([("simple.bpmn", BPMN)])
    users = UserStore(engine.db)
    users.create_user("bench", "bench-password", ["clerk", "admin"], ["bench"])
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "DIWAN_DATABASE_URL": url, "DIWAN_WORKER": "off", "DIWAN_WORKERS": "2",
           "DIWAN_SECRET_KEY": "bench", "DIWAN_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--no-deploy"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if _call(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, body, _ = _call(port, "POST", "/api/v1/auth/token", body={"username": "bench",
                                                                          "password": "bench-password"})
        token = body["token"]
        latencies: dict[str, list[float]] = {"start": [], "tasks": [], "complete": []}
        done = [0]
        lock = threading.Lock()
        stop = time.perf_counter() + seconds

        def client():
            while time.perf_counter() < stop:
                s, inst, t1 = _call(port, "POST", "/api/v1/process-definitions/simple/start", token,
                                    {"data": {"amount": 21}})
                assert s == 201, inst
                s, page, t2 = _call(port, "GET", f"/api/v1/tasks?instance_id={inst['id']}", token)
                s, out, t3 = _call(port, "POST", f"/api/v1/tasks/{page['items'][0]['id']}/complete", token,
                                   {"data": {}})
                assert s == 200 and out["status"] == "completed", out
                with lock:
                    latencies["start"].append(t1)
                    latencies["tasks"].append(t2)
                    latencies["complete"].append(t3)
                    done[0] += 1

        database = make_url(url).database if url.startswith("postgresql") else None
        cpu0 = _cpu_seconds(server.pid, database)
        t0 = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rate = done[0] / (time.perf_counter() - t0)
        cpu1 = _cpu_seconds(server.pid, database)
        cpu = {k: (cpu1[k] - cpu0[k]) / done[0] for k in cpu1} if cpu0 is not None and done[0] else None
        return rate, latencies, cpu
    finally:
        server.terminate()
        server.wait(30)


def report(name: str, rate: float, latencies: dict[str, list[float]], cpu: dict[str, float] | None) -> None:
    parts = []
    for call, values in latencies.items():
        values = sorted(values)
        p99 = values[max(int(len(values) * 0.99) - 1, 0)]
        parts.append(f"{call} p50 {statistics.median(values) * 1000:.1f} ms / p99 {p99 * 1000:.1f} ms")
    cpu_text = ""
    if cpu is not None:
        parts_ms = ", ".join(f"{k} {v * 1000:.2f}" for k, v in cpu.items() if v or k != "database")
        cpu_text = f"; CPU {sum(cpu.values()) * 1000:.1f} ms/instance ({parts_ms})"
        if cpu["client"]:
            cpu_text += f"; server/client {cpu['server'] / cpu['client']:.2f}"
    print(f"{name}: {rate:.0f} instances/s; " + "; ".join(parts) + cpu_text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--pg", default=None, help="PostgreSQL URL of an empty database")
    args = ap.parse_args()
    if args.pg:
        report("postgresql, gunicorn 2 workers, 4 clients", *run(args.pg, args.seconds))
    with tempfile.TemporaryDirectory() as tmp:
        rate, latencies, cpu = run(f"sqlite:///{tmp}/api.db", args.seconds)
    report("sqlite, gunicorn 2 workers, 4 clients", rate, latencies, cpu)
    print(f"api instances/s: {rate:.0f}")


if __name__ == "__main__":
    main()
