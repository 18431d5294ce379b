"""What a command tells the workers of other processes (PostgreSQL notices, delivered at
commit), and the watchers that hear other processes' commits on either database."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from engine.db import notify
from engine.workers.wakeups import PostgresListener, SqliteWatcher, watcher_for
from tests.conftest import PG_URL, fixture_files
from tests.workers.test_wakeups import WAIT_BPMN

pg_only = pytest.mark.skipif(PG_URL is None, reason="PostgreSQL NOTIFY")

SERVICE_BPMN = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="tell" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="n"/>
<bpmn:serviceTask id="n" camunda:type="external" camunda:topic="notify"/>
<bpmn:sequenceFlow id="f2" sourceRef="n" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("payload, parts", [
    ("o", [("o", None)]),
    ("r", [("r", None)]),
    ("t1772442002.000000", [("t", datetime(2026, 3, 2, 9, 0, 2, tzinfo=timezone.utc))]),
    ("o t1772442002.5", [("o", None), ("t", datetime(2026, 3, 2, 9, 0, 2, 500000, tzinfo=timezone.utc))]),
    ("", [("r", None)]),  # an empty notice: read the tables
    ("tsoon", [("r", None)]),  # unreadable: read the tables
    ("x42", [("r", None)]),  # from a newer sender: read the tables
])
def test_parse__parts_of_a_notice(payload, parts):
    assert notify.parse(payload) == parts


class Notices:
    """A LISTEN connection of the test's own: the notices as a worker would get them."""

    def __init__(self, db: sa.Engine):
        cargs, cparams = db.dialect.create_connect_args(db.url)
        self.conn = db.dialect.connect(*cargs, **{**cparams, "autocommit": True})
        self.conn.execute(f"LISTEN {notify.CHANNEL}")

    def next(self, timeout: float = 5) -> str:
        for n in self.conn.notifies(timeout=timeout, stop_after=1):
            return n.payload
        raise AssertionError(f"no notice within {timeout} s")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def notices(engine):
    n = Notices(engine.db)
    yield n
    n.close()


@pg_only
def test_timer_due_soon__notice_with_its_due_time_at_commit(engine, clock, notices):
    engine.deploy([("wait.bpmn", WAIT_BPMN)])
    engine.start("wait", {"delay": "PT1H"})  # beyond twice the sweep: the sweep will see it first
    engine.start("wait", {"delay": "PT2S"})
    # Notices come in commit order: the first is the PT2S timer's.
    assert notify.parse(notices.next()) == [("t", clock.now() + timedelta(seconds=2))]


@pytest.mark.parametrize("sweep, notified", [(30, False), (1800, True)])
@pg_only
def test_timer_notice__sent_within_twice_the_sweep(database_url, clock, sweep, notified):
    from engine import Engine, EngineSettings

    engine = Engine(settings=EngineSettings(database_url=database_url, sweep_seconds=sweep), clock=clock)
    notices = Notices(engine.db)
    try:
        engine.deploy([("wait.bpmn", WAIT_BPMN)])
        engine.start("wait", {"delay": "PT1H"})
        with engine.kept.transaction(write=True) as conn:
            notify.send(conn, "marker")
        first = notices.next()
        assert (first != "marker") is notified, first
        if notified:
            assert notify.parse(first) == [("t", clock.now() + timedelta(hours=1))]
    finally:
        notices.close()
        engine.dispose()


@pg_only
def test_outbox_row__notice_o(engine, notices):
    engine.deploy([("tell.bpmn", SERVICE_BPMN)])
    engine.start("tell", {})
    assert notices.next() == "o"


@pg_only
def test_notice_of_a_rolled_back_transaction__never_delivered(engine, notices):
    with pytest.raises(RuntimeError):
        with engine.kept.transaction(write=True) as conn:
            notify.send(conn, "rolled-back")
            raise RuntimeError("the command failed")
    with engine.kept.transaction(write=True) as conn:
        notify.send(conn, "committed")
    assert notices.next() == "committed"


@pg_only
def test_deploy_with_a_timer_start__notice_of_its_first_due_time(engine, notices):
    engine.deploy(fixture_files("scheduled.bpmn"))
    with engine.db.connect() as conn:
        due = conn.execute(sa.text("select due_at from process_timer")).scalar_one()
    assert notify.parse(notices.next()) == [("t", due.astimezone(timezone.utc))]


@pg_only
def test_incident_retried__notice_to_read_the_tables(engine, notices, connectors):
    engine.deploy([("tell.bpmn", SERVICE_BPMN)])
    inst = engine.start("tell", {})
    assert notices.next() == "o"
    from engine.commands.incidents import RecordFailure
    from engine.views import SYSTEM

    with engine.db.connect() as conn:
        outbox_id = conn.execute(sa.text("select id from outbox")).scalar_one()
    for _ in range(engine.settings.max_attempts):
        engine.execute(RecordFailure(SYSTEM, "outbox", outbox_id, "receiver down", "n"))
    incident = engine.incidents(inst.id).items[0]
    engine.retry_incident(incident.id)
    assert notices.next() == "o"  # the delivery is pending again


def test_watcher__hears_a_commit_of_another_connection(engine, clock):
    engine.deploy([("wait.bpmn", WAIT_BPMN)])
    heard: list = []
    got = threading.Event()

    def on_wake(parts):
        heard.append(parts)
        got.set()

    watcher = watcher_for(engine.db, on_wake, name="test", check_seconds=30)
    assert isinstance(watcher, PostgresListener if PG_URL else SqliteWatcher)
    watcher.start()
    try:
        assert watcher.ready.wait(10) and watcher.connected.is_set()
        assert got.wait(5) and heard == [[("r", None)]]  # after connecting: read the tables once
        got.clear()
        engine.start("wait", {"delay": "PT2S"})
        assert got.wait(5), "the watcher heard nothing of the commit"
        if PG_URL:
            assert heard[1] == [("t", clock.now() + timedelta(seconds=2))]
        else:
            assert heard[1] == [("r", None)]  # data_version says only that something changed
    finally:
        watcher.stop()
    assert not watcher._thread.is_alive()


def test_watcher__none_for_an_in_memory_sqlite():
    db = sa.create_engine("sqlite://")
    assert watcher_for(db, lambda parts: None, name="test", check_seconds=30) is None


def test_watcher__database_down_then_up__connects_when_it_can(tmp_path):
    # A SQLite file in a folder that does not exist yet: connecting fails until it does.
    folder = tmp_path / "later"
    db = sa.create_engine(f"sqlite:///{folder}/diwan.db")
    calls: list = []
    watcher = SqliteWatcher(db, calls.append, name="test")
    watcher.start()
    try:
        assert watcher.ready.wait(5) and not watcher.connected.is_set()
        folder.mkdir()
        deadline = time.monotonic() + 10
        while not watcher.connected.is_set():
            assert time.monotonic() < deadline, "the watcher never connected"
            time.sleep(0.05)
    finally:
        watcher.stop()
    db.dispose()
