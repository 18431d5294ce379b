"""Timer drain rate and firing latency.

1. Drain: N timers due at the same instant (N instances of `start -> PT1H timer -> end`,
   then the manual clock jumps 2 hours without firing): how fast do workers fire them?
   SQLite with one worker process, PostgreSQL with two (when reachable).
2. Latency under light load: one real `diwan worker` process on the system clock, and
   instances whose `PT1S`..`PT3S` timers fall due a few at a time; latency = when the
   timer_fired event was written minus the due time. Prints p50 and p99.

Last line: `drain timers/s (sqlite, 1 worker): N`.

Usage: .venv/bin/python bench/timers.py [--timers 10000] [--pg postgresql+psycopg://postgres@127.0.0.1/db]
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


def _worker(url: str, clock: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DIWAN_DATABASE_URL": url, "DIWAN_CLOCK": clock, "PYTHONPATH": str(ROOT),
           "DIWAN_SWEEP_SECONDS": "0.2"}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def drain(url: str, n: int, workers: int) -> float:
    engine = Engine(settings=EngineSettings(database_url=url, clock="manual"))
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
    engine = Engine(settings=EngineSettings(database_url=url))
    engine.upgrade_schema()
    engine.deploy([("wait.bpmn", BPMN)])
    proc = _worker(url, "system")
    time.sleep(2)  # the worker is up
    try:
        for i in range(n):
            engine.start("wait", {"delay": f"PT{1 + i % 3}S"})
            time.sleep(0.05)
        deadline = time.time() + 30
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
        fired = next(e for e in events if e.type == "timer_fired")
        due = fired.payload["due_at"]
        from datetime import datetime

        out.append((fired.at - datetime.fromisoformat(due)).total_seconds())
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timers", type=int, default=10_000)
    ap.add_argument("--latency-instances", type=int, default=100)
    ap.add_argument("--pg", default=None, help="PostgreSQL URL of an empty database for the two-worker run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lat = latency(f"sqlite:///{tmp}/lat.db", args.latency_instances)
        lat.sort()
        print(f"firing latency (sqlite, light load, {len(lat)} timers): p50 {statistics.median(lat) * 1000:.0f} ms, "
              f"p99 {lat[int(len(lat) * 0.99) - 1] * 1000:.0f} ms")
        if args.pg:
            print(f"drain timers/s (postgresql, 2 workers): {drain(args.pg, args.timers, 2):.0f}")
        rate = drain(f"sqlite:///{tmp}/drain.db", args.timers, 1)
    print(f"drain timers/s (sqlite, 1 worker): {rate:.0f}")


if __name__ == "__main__":
    main()
