"""Real worker processes on one database: every timer fires exactly once, even when a
worker is killed mid-batch (its leases expire and another worker takes over)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import Engine, EngineSettings
from engine.db.clock import StoredClock
from tests.conftest import fixture_files

ROOT = Path(__file__).resolve().parents[2]


def _engine(database_url: str) -> Engine:
    registry_free = Engine(settings=EngineSettings(database_url=database_url, clock="manual"))
    return registry_free


def _setup(database_url: str, n: int) -> Engine:
    engine = _engine(database_url)
    engine.deploy([("calendar.bpmn", _calendar_bpmn())])
    for i in range(n):
        engine.start("calendar", {"delay": "PT1H"}, business_key=f"T-{i}")
    clock = engine.clock
    assert isinstance(clock, StoredClock)
    clock.set(clock.now() + timedelta(hours=2))  # due, but nobody fired them yet
    return engine


def _calendar_bpmn() -> bytes:
    text = fixture_files("timers.bpmn")[0][1].decode()
    # Only the `calendar` process (the others need connectors the worker process has not got).
    start = text.index('<bpmn:process id="calendar"')
    end = text.index("</bpmn:process>", start) + len("</bpmn:process>")
    head = text[:text.index("<bpmn:process")]
    return (head + text[start:end] + "</bpmn:definitions>").encode()


def _worker(database_url: str, *args: str, lease: float = 60) -> subprocess.Popen:
    env = {**os.environ, "DIWAN_DATABASE_URL": database_url, "DIWAN_CLOCK": "manual",
           "DIWAN_LEASE_SECONDS": str(lease), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _fired_per_instance(engine: Engine) -> Counter:
    with engine.db.connect() as conn:
        rows = conn.execute(sa.text("select instance_id from audit_event where type = 'timer_fired'")).all()
    return Counter(r[0] for r in rows)


def _statuses(engine: Engine) -> Counter:
    with engine.db.connect() as conn:
        return Counter(r[0] for r in conn.execute(sa.text("select status from instance")))


@pytest.mark.slow
def test_two_worker_processes__1000_timers_fire_exactly_once(database_url):
    engine = _setup(database_url, 1000)
    workers = [_worker(database_url, "--drain") for _ in range(2)]
    outputs = [w.communicate(timeout=600) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    fired = _fired_per_instance(engine)
    assert len(fired) == 1000 and set(fired.values()) == {1}
    assert _statuses(engine) == Counter({"completed": 1000})
    done = [int(out.strip().rsplit(" ", 1)[-1]) for out, _ in outputs]
    assert sum(done) == 1000  # both reported what they fired; together, each timer once
    engine.dispose()


@pytest.mark.slow
def test_worker_killed_mid_batch__leases_expire_and_another_worker_finishes(database_url):
    engine = _setup(database_url, 300)
    victim = _worker(database_url, "--drain", lease=2)
    deadline = time.monotonic() + 120
    while sum(_fired_per_instance(engine).values()) < 20:
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    fired_before = sum(_fired_per_instance(engine).values())
    assert fired_before < 300  # it died with work left, some of it leased
    time.sleep(2.5)  # the dead worker's leases expire
    rescuer = _worker(database_url, "--drain", lease=2)
    out, err = rescuer.communicate(timeout=600)
    assert rescuer.returncode == 0, err
    fired = _fired_per_instance(engine)
    assert len(fired) == 300 and set(fired.values()) == {1}
    assert _statuses(engine) == Counter({"completed": 300})
    engine.dispose()
