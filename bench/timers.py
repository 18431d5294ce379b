"""Timer drain rate, cross-process firing latency, idle cost of a worker.

1. Drain: N timers due at the same instant (N instances of `start -> PT1H timer -> end`,
   then the manual clock jumps 2 hours without firing): how fast do workers fire them?
   SQLite with one worker process, PostgreSQL with two (when reachable).
2. Cross-process latency under light load: one real `diwan worker` process on the system
   clock, sweeping every 30 s (the default, so the sweep cannot explain a prompt firing),
   and this process starting instances whose `PT1S`..`PT3S` timers fall due a few at a
   time; latency = when the timer_fired event was written minus the due time. Prints p50,
   p99 and the worst, on SQLite and (with --pg) PostgreSQL.
3. Idle: CPU seconds an idle worker process uses over 10 s (its wake-up watcher included).

Last line: `drain timers/s (sqlite, 1 worker): N`.

Usage: .venv/bin/python bench/timers.py [--timers 10000] [--pg postgresql+psycopg://postgres@127.0.0.1/db]
(the PostgreSQL database is emptied before each part).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from engine import Engine, EngineSettings  # noqa: E402

BPMN = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="wait" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>
<bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>${delay}</bpmn:timeDuration>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>
</bpmn:definitions>"""


SWEEP_SECONDS = 30


def _worker(url: str, clock: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DIWAN_DATABASE_URL": url, "DIWAN_CLOCK": clock, "PYTHONPATH": str(ROOT),
           "DIWAN_SWEEP_SECONDS": str(SWEEP_SECONDS)}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE if "--drain" in args else subprocess.DEVNULL,
                            text=True)


def _running(proc: subprocess.Popen) -> None:
    """Wait until a (non-drain) worker says it runs (its first pass done, its watcher up)."""
    line = proc.stdout.readline()
    assert "running" in line, line


def _fresh(url: str) -> str:
    """An empty PostgreSQL database (SQLite files are new each time)."""
    if url.startswith("postgresql"):
        db = sa.create_engine(url)
        with db.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        db.dispose()
    return url


def drain(url: str, n: int, workers: int) -> float:
    engine = Engine(settings=EngineSettings(database_url=_fresh(url), clock="manual"))
    engine.upgrade_schema()
    engine.deploy([("wait.bpmn", BPMN)])
    for i in range(n):
        engine.start("wait", {"delay": "PT1H"})
    engine.clock.set(engine.clock.now() + timedelta(hours=2))
    t0 = time.perf_counter()
    procs = [_worker(url, "manual", "--drain") for _ in range(workers)]
    for p in procs:
        out, err = p.communicate(timeout=3600)
        assert p.returncode == 0, err
    elapsed = time.perf_counter() - t0
    with engine.db.connect() as conn:
        fired = conn.execute(sa.text("select count(*) from audit_event where type = 'timer_fired'")).scalar_one()
    engine.dispose()
    assert fired == n, (fired, n)
    return n / elapsed


def latency(url: str, n: int) -> list[float]:
    """Seconds between due time and firing of `n` timers created here, fired by a worker process."""
    from datetime import datetime

    engine = Engine(settings=EngineSettings(database_url=_fresh(url)))
    engine.upgrade_schema()
    engine.deploy([("wait.bpmn", BPMN)])
    proc = _worker(url, "system")
    _running(proc)
    t0 = time.monotonic()
    try:
        for i in range(n):
            engine.start("wait", {"delay": f"PT{1 + i % 3}S"})
            time.sleep(0.05)
        deadline = time.time() + 60
        while time.time() < deadline:
            with engine.db.connect() as conn:
                left = conn.execute(sa.text("select count(*) from timer")).scalar_one()
            if not left:
                break
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(30)
    out = []
    for inst in engine.list_instances(per_page=500).items:
        events = engine.history(inst.id)
        fired = next((e for e in events if e.type == "timer_fired"), None)
        if fired is None:  # not fired within a minute: counts as a minute late
            out.append(60.0)
            continue
        out.append((fired.at - datetime.fromisoformat(fired.payload["due_at"])).total_seconds())
    engine.dispose()
    if time.monotonic() - t0 >= SWEEP_SECONDS:
        print(f"  (the run outlasted the {SWEEP_SECONDS} s sweep: the sweep may have fired some)")
    return out


def idle_cpu(url: str, seconds: float = 10) -> float:
    """CPU seconds (user + system) of an idle worker process over `seconds`."""
    Engine(settings=EngineSettings(database_url=_fresh(url))).upgrade_schema()
    proc = _worker(url, "system")
    _running(proc)
    try:
        time.sleep(1)

        def cpu() -> float:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        before = cpu()
        time.sleep(seconds)
        return cpu() - before
    finally:
        proc.terminate()
        proc.wait(30)


def _report_latency(name: str, lat: list[float]) -> None:
    lat = sorted(lat)
    print(f"cross-process firing latency ({name}, sweep {SWEEP_SECONDS} s, {len(lat)} timers): "
          f"p50 {statistics.median(lat) * 1000:.0f} ms, p99 {lat[max(int(len(lat) * 0.99) - 1, 0)] * 1000:.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timers", type=int, default=10_000)
    ap.add_argument("--latency-instances", type=int, default=100)
    ap.add_argument("--pg", default=None, help="PostgreSQL URL of a database to empty and use")
    ap.add_argument("--skip-drain", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _report_latency("sqlite", latency(f"sqlite:///{tmp}/lat.db", args.latency_instances))
        if args.pg:
            _report_latency("postgresql", latency(args.pg, args.latency_instances))
        print(f"idle worker CPU over 10 s (sqlite): {idle_cpu(f'sqlite:///{tmp}/idle.db'):.3f} s")
        if args.pg:
            print(f"idle worker CPU over 10 s (postgresql): {idle_cpu(args.pg):.3f} s")
        if args.skip_drain:
            return
        if args.pg:
            print(f"drain timers/s (postgresql, 2 workers): {drain(args.pg, args.timers, 2):.0f}")
        rate = drain(f"sqlite:///{tmp}/drain.db", args.timers, 1)
    print(f"drain timers/s (sqlite, 1 worker): {rate:.0f}")


if __name__ == "__main__":
    main()
