"""A separate `diwan worker` process fires a timer created by another process when it falls
due, not at its sweep: PostgreSQL notices, SQLite's data_version. The workers here sweep
every 30 s, so a firing within a few seconds of the due time is the wake-up's doing."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import Engine, EngineSettings
from tests.conftest import PG_URL, verify_every_instance

ROOT = Path(__file__).resolve().parents[2]
SWEEP_SECONDS = 30
LATE = timedelta(seconds=5)  # far more than a wake-up needs under CI load, far less than the sweep
pg_only = pytest.mark.skipif(PG_URL is None, reason="PostgreSQL's LISTEN connection")

WAIT_BPMN = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="wait" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>
<bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>${delay}</bpmn:timeDuration>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>
</bpmn:definitions>"""

NOTIFY_BPMN = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="tell" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="n"/>
<bpmn:serviceTask id="n" name="Notifier" camunda:type="external" camunda:topic="notify_applicant">
<bpmn:extensionElements><camunda:properties><camunda:property name="subject" value="Dossier {business_key}"/>
</camunda:properties></bpmn:extensionElements></bpmn:serviceTask>
<bpmn:sequenceFlow id="f2" sourceRef="n" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>
</bpmn:definitions>"""


FAILING_BPMN = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="fails" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>
<bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="divide"/>
<bpmn:scriptTask id="divide"><bpmn:script>ratio = 1 / zero</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f3" sourceRef="divide" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>
</bpmn:definitions>"""


class Worker:
    """A `diwan worker` process on the system clock, ready once it said it runs."""

    def __init__(self, database_url: str, log_path: Path, **env_vars: str):
        env = {**os.environ, "DIWAN_DATABASE_URL": database_url, "DIWAN_CLOCK": "system",
               "DIWAN_SWEEP_SECONDS": str(SWEEP_SECONDS), "PYTHONPATH": str(ROOT), **env_vars}
        self.log_path = log_path
        self._log = log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=self._log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else ""
        assert "running" in line, (line, self.log())
        self.started = time.monotonic()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        self._log.close()


@pytest.fixture
def system_engine(database_url):
    engine = Engine(settings=EngineSettings(database_url=database_url, clock="system",
                                            sweep_seconds=SWEEP_SECONDS))
    engine.deploy([("wait.bpmn", WAIT_BPMN), ("tell.bpmn", NOTIFY_BPMN), ("fails.bpmn", FAILING_BPMN)])
    yield engine
    verify_every_instance(engine)
    engine.dispose()


@pytest.fixture
def worker(database_url, system_engine, tmp_path):
    w = Worker(database_url, tmp_path / "worker.log")
    yield w
    w.stop()


def _fired(engine: Engine, instance_id: str, worker: Worker, timeout: float = 20):
    """The instance's timer_fired event, waiting for it (well before the worker's sweep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = [e for e in engine.history(instance_id) if e.type == "timer_fired"]
        if events:
            return events[0]
        assert worker.proc.poll() is None, worker.log()
        time.sleep(0.05)
    raise AssertionError(f"no timer fired within {timeout} s (sweep {SWEEP_SECONDS} s): {worker.log()}")


def _lateness(event) -> timedelta:
    return event.at - datetime.fromisoformat(event.payload["due_at"])


def test_timer_created_in_another_process__fires_when_due_not_at_the_sweep(system_engine, worker):
    inst = system_engine.start("wait", {"delay": "PT2S"})
    fired = _fired(system_engine, inst.id, worker)
    assert timedelta(0) <= _lateness(fired) < LATE, _lateness(fired)
    assert time.monotonic() - worker.started < SWEEP_SECONDS  # the sweep has not run yet
    assert system_engine.get_instance(inst.id).status == "completed"


def test_timers_of_several_instances__each_fires_when_due(system_engine, worker):
    # Created out of due order: the later ones must not hide the earlier ones.
    delays = ["PT4S", "PT2S", "PT3S", "PT2S"]
    insts = [system_engine.start("wait", {"delay": d}) for d in delays]
    lateness = [_lateness(_fired(system_engine, i.id, worker)) for i in insts]
    assert all(timedelta(0) <= late < LATE for late in lateness), lateness


def test_outbox_row_written_in_another_process__delivered_at_once(system_engine, worker, database_url):
    inst = system_engine.start("tell", {"email": "fatima@example.org"}, business_key="REC-1")
    deadline = time.monotonic() + 20
    while True:
        with system_engine.db.connect() as conn:
            row = conn.execute(sa.text("select status, created_at, delivered_at from outbox "
                                       "where instance_id = :i"), {"i": inst.id}).one()
        if row.status == "delivered":
            break
        assert time.monotonic() < deadline, (row, worker.log())
        time.sleep(0.05)
    created, delivered = (_aware(t) for t in (row.created_at, row.delivered_at))
    assert timedelta(0) <= delivered - created < LATE, (created, delivered)


def test_failed_firing__retried_when_its_backoff_ends_not_at_the_sweep(system_engine, database_url, tmp_path):
    worker = Worker(database_url, tmp_path / "worker.log", DIWAN_RETRY_BACKOFF_SECONDS="1", DIWAN_MAX_ATTEMPTS="2")
    try:
        inst = system_engine.start("fails", {"zero": 0})
        due = system_engine.timers(inst.id)[0]["due_at"]
        deadline = time.monotonic() + 20
        while not (incidents := system_engine.incidents(inst.id).items):
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.05)
    finally:
        worker.stop()
    incident = incidents[0]
    assert incident.attempts == 2 and "division by zero" in incident.message
    # The first attempt when due, the second one backoff (1 s) later: both long before the sweep.
    assert timedelta(seconds=1) <= incident.created_at - due < timedelta(seconds=1) + LATE, (due, incident)


def test_idle_worker__no_busy_loop(worker):
    time.sleep(1)  # past its start-up
    before = worker.cpu_seconds()
    time.sleep(5)
    used = worker.cpu_seconds() - before
    assert used < 0.5, f"an idle worker used {used:.2f} s of CPU in 5 s"


@pg_only
def test_listen_connection_killed__worker_reconnects_and_still_fires_on_time(system_engine, worker):
    old = _listen_pids(system_engine)
    assert len(old) == 1, old
    with system_engine.db.connect() as conn:
        assert conn.execute(sa.text("select pg_terminate_backend(:p)"), {"p": old[0]}).scalar()
    # Created while the worker is (most likely) not listening: its re-read after reconnecting finds it.
    during = system_engine.start("wait", {"delay": "PT2S"})
    late = _lateness(_fired(system_engine, during.id, worker))
    assert timedelta(0) <= late < LATE, late
    deadline = time.monotonic() + 20
    while not (new := _listen_pids(system_engine)) or new == old:
        assert time.monotonic() < deadline, (old, new, worker.log())
        time.sleep(0.1)
    assert "wake-up connection lost" in worker.log()
    after = system_engine.start("wait", {"delay": "PT2S"})
    late = _lateness(_fired(system_engine, after.id, worker))
    assert timedelta(0) <= late < LATE, late


def _listen_pids(engine: Engine) -> list[int]:
    with engine.db.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "select pid from pg_stat_activity where datname = current_database() "
            "and application_name like 'diwan-listen %'"))]


def _aware(value):
    from engine.db.timers import aware

    return aware(datetime.fromisoformat(value) if isinstance(value, str) else value)
