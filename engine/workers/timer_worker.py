"""The timer worker: claims due timers under a lease and fires each through the command path."""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from ..commands.events import FireTimer
from ..commands.incidents import RecordFailure
from ..db.base import WRITE
from ..errors import Conflict, DiwanError
from ..views import SYSTEM
from . import leases

log = logging.getLogger("diwan.worker.timers")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TimerWorker:
    """Fires due timers; any number of them may run against one database."""

    def __init__(self, engine, owner: str | None = None, batch: int = 100):
        self.engine = engine
        self.owner = owner or worker_name()
        self.batch = batch

    def claim(self, *, until: datetime | None = None, limit: int | None = None) -> list:
        engine = self.engine
        lease = timedelta(seconds=engine.settings.lease_seconds)
        with engine.db.connect().execution_options(**WRITE) as conn:
            with conn.begin():
                return leases.claim_timers(conn, owner=self.owner, now=until or engine.clock.now(),
                                           wall=engine.wall.now(), lease=lease, limit=limit or self.batch)

    def run_once(self) -> int:
        """Claim one batch of due timers and fire them; returns how many fired."""
        return sum(self.fire(row) for row in self.claim())

    def drain(self, limit: int = 100_000) -> int:
        """Fire due timers until none is left (timers created by firings included)."""
        fired = 0
        while fired < limit:
            rows = self.claim()
            if not rows:
                break
            fired += sum(self.fire(row) for row in rows)
        return fired

    def fire(self, row, at: datetime | None = None) -> bool:
        """Fire one claimed timer; a failure is counted and, after the last attempt, an incident."""
        engine = self.engine
        try:
            result = engine.execute(FireTimer(SYSTEM, row.id, row.due_at, at))
        except Conflict:
            with engine.db.connect().execution_options(**WRITE) as conn, conn.begin():
                leases.release_timer(conn, row.id, self.owner)
            return False
        except DiwanError as exc:
            self._failed(row, exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - a worker never dies of one timer
            log.exception("timer %s of instance %s failed", row.id, row.instance_id)
            self._failed(row, f"{type(exc).__name__}: {exc}")
            return False
        return result is not None

    def _failed(self, row, message: str) -> None:
        log.warning("timer %s (%s) of instance %s failed: %s", row.id, row.element_id, row.instance_id, message)
        self.engine.execute(RecordFailure(SYSTEM, "timer", row.id, message, row.element_id))
