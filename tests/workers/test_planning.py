"""How a worker plans its next wake-up from the tables and from other processes' notices
(a WorkerService in the test process, its APScheduler paused so that nothing runs behind
the test's back)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from engine.workers.scheduler import WorkerService
from tests.workers.test_wakeups import WAIT_BPMN

SLACK = timedelta(seconds=2)  # between the test's reading of the wall clock and the service's


@pytest.fixture
def service(engine):
    engine.deploy([("wait.bpmn", WAIT_BPMN)])
    s = WorkerService(engine)
    s.start()
    s._scheduler.pause()  # plans are made, nothing runs
    yield s
    s.stop()


def _near(when: datetime | None, expected: datetime) -> bool:
    return when is not None and abs(when - expected) < SLACK


def _wall() -> datetime:
    return datetime.now(timezone.utc)


def test_after_a_pass__wake_up_at_the_next_due_timer(engine, clock, service):
    assert service.next_wake() is None  # nothing waits
    engine.start("wait", {"delay": "PT1H"})
    service.run_once()
    assert _near(service.next_wake(), _wall() + timedelta(hours=1))  # on the real clock, from the manual one


def test_notices__move_the_wake_up_earlier_never_later(clock, service):
    service.wake([("t", clock.now() + timedelta(minutes=10))])
    assert _near(service.next_wake(), _wall() + timedelta(minutes=10))
    service.wake([("t", clock.now() + timedelta(minutes=20))])
    assert _near(service.next_wake(), _wall() + timedelta(minutes=10))
    service.wake([("t", clock.now() + timedelta(minutes=5))])
    assert _near(service.next_wake(), _wall() + timedelta(minutes=5))
    service.wake([("o", None)])  # outbox rows: at once
    assert _near(service.next_wake(), _wall())


def test_notice_of_later_work__never_replaces_a_wake_up_due_but_not_run_yet(clock, service):
    service.wake([("o", None)])  # due now; the paused scheduler has not run it
    planned = service.next_wake()
    time.sleep(0.05)
    service.wake([("t", clock.now() + timedelta(seconds=3))])
    assert service.next_wake() == planned


def test_planned_wake_up__runs_a_pass_that_plans_the_next(engine, clock, service):
    engine.start("wait", {"delay": "PT2H"})  # due in two hours: no pass fires it now
    service.wake([("o", None)])
    service._scheduler.resume()
    deadline = time.monotonic() + 10
    while not _near(service.next_wake(), _wall() + timedelta(hours=2)):
        assert time.monotonic() < deadline, service.next_wake()
        time.sleep(0.05)
