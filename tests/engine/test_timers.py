"""Timers on the engine clock: cycles, chains, calendar durations across daylight saving,
failures that become incidents and their retry, the outbox worker."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine import Actor, ConnectorRegistry, Engine, EngineSettings, InvalidData, ManualClock
from engine.db import outbox
from engine.workers.outbox_worker import OutboxWorker
from tests.conftest import fixture_files

CLERK = Actor("amina", groups=("g",), roles=("clerk",))
UTC = timezone.utc


@pytest.fixture
def timer_engine(database_url, clock):
    registry = ConnectorRegistry()
    registry.registry_up = False
    registry.delivered = []

    @registry.value("registry_lookup")
    def lookup(call):
        if not registry.registry_up:
            raise ConnectionError("label registry unreachable")
        return {"label_valid": True}

    @registry.effect("notify")
    def notify(delivery):
        if not registry.registry_up:
            raise ConnectionError("mail server down")
        registry.delivered.append(delivery.idempotency_key)

    settings = EngineSettings(database_url=database_url, retry_backoff_seconds=0, max_attempts=3)
    engine = Engine(settings=settings, clock=clock, connectors=registry)
    engine.deploy(fixture_files("timers.bpmn"))
    yield engine
    engine.dispose()


def test_cycle__R3_PT1H_fires_three_times(timer_engine, clock):
    start = clock.now()
    inst = timer_engine.start("reminders", {"reminders": []})
    now, fired = timer_engine.advance_clock(by=timedelta(hours=5))
    assert fired == 3 and now == start + timedelta(hours=5)
    after = timer_engine.get_instance(inst.id)
    assert after.data["reminders"] == [(start + timedelta(hours=h)).isoformat() for h in (1, 2, 3)]
    assert after.active_elements == ["work"]  # non-interrupting: the task is still there
    assert timer_engine.timers(inst.id) == []


def test_advance_clock__fires_each_timer_at_its_due_time_including_new_ones(timer_engine, clock):
    start = clock.now()
    inst = timer_engine.start("chain", {})
    now, fired = timer_engine.advance_clock(by=timedelta(hours=1))
    data = timer_engine.get_instance(inst.id).data
    assert fired == 2
    assert data["first"] == (start + timedelta(minutes=10)).isoformat()
    assert data["second"] == (start + timedelta(minutes=30)).isoformat()
    fired_at = [e.at for e in timer_engine.history(inst.id) if e.type == "timer_fired"]
    assert fired_at == [start + timedelta(minutes=10), start + timedelta(minutes=30)]


def test_advance_clock__never_back(timer_engine, clock):
    with pytest.raises(InvalidData):
        timer_engine.advance_clock(to=clock.now() - timedelta(seconds=1))


@pytest.mark.parametrize("start, delay, due", [
    # Morocco leaves UTC+1 for UTC+0 on 2026-02-15 (Ramadan): a day is a calendar day.
    ("2026-02-14T09:00:00+01:00", "P1D", "2026-02-15T09:00:00+00:00"),
    ("2026-02-14T09:00:00+01:00", "PT24H", "2026-02-15T08:00:00+00:00"),
    ("2026-03-21T09:00:00+00:00", "P1D", "2026-03-22T09:00:00+01:00"),
    ("2026-01-31T10:00:00+01:00", "P1M", "2026-02-28T10:00:00+00:00"),  # month end clamped
    ("2026-01-15T10:00:00+01:00", "P2W", "2026-01-29T10:00:00+01:00"),
])
def test_duration__calendar_units_count_in_the_engine_timezone(database_url, start, delay, due):
    clock = ManualClock(datetime.fromisoformat(start))
    registry = ConnectorRegistry()
    registry.value("registry_lookup")(lambda call: {})
    engine = Engine(settings=EngineSettings(database_url=database_url), clock=clock, connectors=registry)
    engine.deploy(fixture_files("timers.bpmn"))
    inst = engine.start("calendar", {"delay": delay})
    [row] = engine.timers(inst.id)
    assert row["due_at"] == datetime.fromisoformat(due)
    engine.dispose()


def test_failure__retried_then_incident_then_admin_retry(timer_engine, clock):
    inst = timer_engine.start("flaky", {})
    timer_engine.advance_clock(by=timedelta(hours=2))
    for _ in range(2):  # the two retries (backoff 0 in this test)
        timer_engine.fire_due_timers()
    failed = timer_engine.get_instance(inst.id)
    assert failed.status == "failed"
    [incident] = failed.incidents
    assert incident.element_id == "x_wait" and incident.attempts == 3
    assert "label registry unreachable" in incident.message
    assert timer_engine.incidents().total == 1
    assert timer_engine.fire_due_timers() == 0  # parked behind the incident
    timer_engine.connectors.registry_up = True  # the outside system is back
    assert timer_engine.retry_incident(incident.id).status == "running"
    assert timer_engine.fire_due_timers() == 1
    done = timer_engine.get_instance(inst.id)
    assert done.status == "completed" and done.data == {"label_valid": True}
    assert timer_engine.incidents().total == 0
    types = [e.type for e in timer_engine.history(inst.id)]
    assert types.count("timer_fired") == 1 and "incident_created" in types and "incident_retried" in types


def test_outbox__delivered_at_least_once_with_retries_then_incident(database_url, clock, connectors):
    delivered, state = [], {"up": False}
    registry = ConnectorRegistry()

    @registry.value("issue_number")
    def issue(call):
        return {"number": "N-1"}

    @registry.effect("notify")
    def notify(delivery):
        if not state["up"]:
            raise ConnectionError("mail server down")
        delivered.append(delivery.idempotency_key)

    engine = Engine(settings=EngineSettings(database_url=database_url, retry_backoff_seconds=0), clock=clock,
                    connectors=registry)
    engine.deploy(fixture_files("services.bpmn"))
    inst = engine.start("services", {"fail_on_first": False})
    worker = OutboxWorker(engine)
    for _ in range(3):
        worker.run_once()
    with engine.db.connect() as conn:
        [row] = outbox.for_instance(conn, inst.id)
    assert row.status == "failed" and row.attempts == 3
    [incident] = engine.get_instance(inst.id).incidents
    state["up"] = True
    engine.retry_incident(incident.id)
    assert worker.run_once() == 1 and delivered == [row.id]
    with engine.db.connect() as conn:
        assert outbox.for_instance(conn, inst.id)[0].status == "delivered"
    engine.dispose()


def test_timer_start_event__starts_instances_on_schedule_and_stays_on_the_day(database_url):
    clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
    engine = Engine(settings=EngineSettings(database_url=database_url), clock=clock)
    engine.deploy(fixture_files("scheduled.bpmn"))
    assert engine.list_instances().total == 0
    _, fired = engine.advance_clock(to=datetime(2026, 6, 1, tzinfo=UTC))
    assert fired == 3  # R3: three starts, then the schedule is over
    starts = sorted(i.data["started_at"] for i in engine.list_instances().items)
    # Jan 31, then the month ends clamp (Feb 28, during Ramadan: UTC+0), then Mar 31 (UTC+1 again).
    assert starts == ["2026-01-31T07:00:00+00:00", "2026-02-28T08:00:00+00:00", "2026-03-31T07:00:00+00:00"]
    assert {tuple(i.active_elements) for i in engine.list_instances().items} == {("report",)}
    engine.dispose()


def test_timer_start_event__needs_a_literal(engine):
    body = fixture_files("scheduled.bpmn")[0][1].replace(b"R3/2026-01-31T08:00:00+01:00/P1M", b"${when}")
    from engine import InvalidDefinition

    with pytest.raises(InvalidDefinition) as err:
        engine.deploy([("scheduled.bpmn", body)])
    assert err.value.errors[0]["element"] == "every_month"


def test_advance_clock__a_target_with_an_offset_is_the_same_instant(timer_engine, clock):
    inst = timer_engine.start("chain", {})
    first_due = clock.now() + timedelta(minutes=10)
    just_before = (first_due - timedelta(minutes=1)).astimezone(timezone(timedelta(hours=1)))
    now, fired = timer_engine.advance_clock(to=just_before)
    assert fired == 0 and now == first_due - timedelta(minutes=1)
    assert timer_engine.get_instance(inst.id).status == "running"


def test_outbox__an_effect_made_while_the_manual_clock_is_ahead_is_delivered(database_url, connectors):
    delivered = []
    registry = ConnectorRegistry()
    registry.value("issue_number")(lambda call: {"number": "N-1"})
    registry.effect("notify")(lambda delivery: delivered.append(delivery.idempotency_key))
    clock = ManualClock(datetime.now(UTC) + timedelta(days=3 * 365))
    engine = Engine(settings=EngineSettings(database_url=database_url), clock=clock, connectors=registry)
    engine.deploy(fixture_files("services.bpmn"))
    engine.start("services", {"fail_on_first": False})
    assert OutboxWorker(engine).drain() == 1 and len(delivered) == 1
    engine.dispose()
