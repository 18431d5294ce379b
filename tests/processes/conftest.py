"""Fixtures for the ministry's processes: an engine with the ministry's connectors, a
recording notification transport and a manual clock, deploying files of processes/ and forms/."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine import Actor, Engine, EngineSettings, ManualClock
from engine.connectors.ministry import ministry_connectors
from engine.connectors.transports import LogTransport
from tests.conftest import verify_every_instance

from .time_travel_checks import check_every_instance

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes" / "bpmn"
FORMS = ROOT / "forms"
ADMIN = Actor("admin", roles=("admin",))


def clerk(name: str, *groups: str) -> Actor:
    return Actor(name, groups=groups, roles=("clerk",))


class ProcessHarness:
    """An engine plus the helpers a scenario needs."""

    def __init__(self, engine: Engine, clock: ManualClock, transport: LogTransport):
        self.engine, self.clock, self.transport = engine, clock, transport

    def deploy(self, *names: str):
        """Deploy files by name: `x.bpmn`/`x.dmn` from processes/bpmn, `x.form` from forms/."""
        paths = [(FORMS if n.endswith(".form") else PROCESSES) / n for n in names]
        return self.engine.deploy(paths)

    def tasks(self, instance_id: str) -> dict:
        """Ready tasks of an instance by element id (a list when several share an element)."""
        out: dict = {}
        for t in self.engine.list_tasks(see_all=True, instance_id=instance_id, per_page=500).items:
            out.setdefault(t.element_id, []).append(t)
        return {k: v[0] if len(v) == 1 else v for k, v in out.items()}

    def complete(self, instance_id: str, element_id: str, data: dict | None = None, actor: Actor = ADMIN):
        task = self.tasks(instance_id)[element_id]
        return self.engine.complete_task(task.id, data or {}, actor=actor)

    def deliver(self) -> int:
        """Deliver the outbox (notifications, payment orders) as the worker would."""
        from engine.workers.outbox_worker import OutboxWorker

        return OutboxWorker(self.engine).drain()


@pytest.fixture
def harness(database_url):
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    transport = LogTransport()
    # The seed processes' paths complete tasks directly (claim-to-complete: tests/*/test_clerk_work*.py).
    engine = Engine(settings=EngineSettings(database_url=database_url, retry_backoff_seconds=0, require_claim=False),
                    clock=clock, connectors=ministry_connectors(transport))
    yield ProcessHarness(engine, clock, transport)
    verify_every_instance(engine)  # every path's history replays exactly (audit)
    check_every_instance(engine)  # and time travel shows, at every step, what the history says
    engine.dispose()
