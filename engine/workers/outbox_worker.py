"""The outbox worker: delivers service-task effects at least once, the row id as idempotency key."""
from __future__ import annotations

import logging
from datetime import timedelta

import orjson

from ..commands.incidents import RecordFailure
from ..connectors.registry import Delivery
from ..db.base import WRITE
from ..db import outbox
from ..views import SYSTEM
from . import leases
from .timer_worker import worker_name

log = logging.getLogger("diwan.worker.outbox")


class OutboxWorker:
    """Delivers pending outbox rows through their effect connectors; retries, then incidents."""

    def __init__(self, engine, owner: str | None = None, batch: int = 50):
        self.engine = engine
        self.owner = owner or worker_name()
        self.batch = batch

    def run_once(self) -> int:
        engine = self.engine
        with engine.db.connect().execution_options(**WRITE) as conn, conn.begin():
            rows = leases.claim_outbox(conn, owner=self.owner, wall=engine.wall.now(),
                                       lease=timedelta(seconds=engine.settings.lease_seconds), limit=self.batch)
        return sum(self.deliver(row) for row in rows)

    def drain(self, limit: int = 100_000) -> int:
        delivered = attempted = 0
        while attempted < limit:
            before = delivered
            n = self.run_once()
            delivered += n
            attempted += max(n, 1)
            if delivered == before:
                break
        return delivered

    def deliver(self, row) -> bool:
        engine = self.engine
        try:
            connector = engine.connectors.get(row.connector)
            connector.fn(Delivery(row.connector, row.id, row.instance_id, row.element_id, orjson.loads(row.payload)))
        except Exception as exc:  # noqa: BLE001 - a receiver's failure is recorded, never fatal
            log.warning("outbox %s (%s) failed: %s", row.id, row.connector, exc)
            engine.execute(RecordFailure(SYSTEM, "outbox", row.id, f"{type(exc).__name__}: {exc}", row.element_id))
            return False
        with engine.db.connect().execution_options(**WRITE) as conn, conn.begin():
            outbox.mark_delivered(conn, row.id, self.owner, engine.wall.now(), row.attempts + 1)
        return True
