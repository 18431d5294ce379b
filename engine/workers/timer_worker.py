"""The timer worker: claims due timers under a lease and fires each through the command path."""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from dataclasses import dataclass

from ..commands.events import FireStartTimer, FireTimer
from ..commands.incidents import RecordFailure
from ..db.base import WRITE
from ..db.timers import aware
from ..errors import Conflict, DiwanError, Unavailable
from ..views import SYSTEM
from . import leases

log = logging.getLogger("diwan.worker.timers")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Job:
    """A claimed timer: `timer` (an instance's) or `start` (a timer start event's schedule)."""

    kind: str
    row: object

    @property
    def due_at(self) -> datetime:
        return aware(self.row.due_at)


class TimerWorker:
    """Fires due timers and timer start events; any number of workers may share one database."""

    def __init__(self, engine, owner: str | None = None, batch: int = 100):
        self.engine = engine
        self.owner = owner or worker_name()
        self.batch = batch

    def claim(self, *, until: datetime | None = None, limit: int | None = None) -> list[Job]:
        engine = self.engine
        args = {"owner": self.owner, "now": until or engine.clock.now(), "wall": engine.wall.now(),
                "lease": timedelta(seconds=engine.settings.lease_seconds), "limit": limit or self.batch}
        with engine.db.connect().execution_options(**WRITE) as conn:
            with conn.begin():
                jobs = [Job("start", r) for r in leases.claim_start_timers(conn, **args)]
                jobs += [Job("timer", r) for r in leases.claim_timers(conn, **args)]
        return sorted(jobs, key=lambda j: (j.due_at, j.row.id))

    def release(self, job: Job) -> None:
        with self.engine.db.connect().execution_options(**WRITE) as conn, conn.begin():
            leases.release(conn, job.kind, job.row.id, self.owner)

    def run_once(self) -> int:
        """Claim one batch of due timers and fire them; returns how many fired."""
        return sum(self.fire(job) for job in self.claim())

    def drain(self, limit: int = 100_000) -> int:
        """Fire due timers until none is left (timers created by firings included)."""
        fired = 0
        while fired < limit:
            jobs = self.claim()
            if not jobs:
                break
            fired += sum(self.fire(job) for job in jobs)
        return fired

    def fire(self, job: Job, at: datetime | None = None) -> bool:
        """Fire one claimed timer; a failure is counted and, after the last attempt, an incident."""
        engine, row = self.engine, job.row
        command = (FireTimer(SYSTEM, row.id, row.due_at, at) if job.kind == "timer"
                   else FireStartTimer(SYSTEM, row.id, row.due_at, at))
        try:
            result = engine.execute(command)
        except Conflict:
            self.release(job)
            return False
        except Unavailable as exc:  # the database, not the timer: no attempt is counted
            log.warning("%s timer %s not fired, the database is unavailable: %s", job.kind, row.id, exc.message)
            try:
                self.release(job)
            except Exception:  # noqa: BLE001 - still unreachable: the lease expires by itself
                pass
            return False
        except DiwanError as exc:
            self._failed(job, exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - a worker never dies of one timer
            log.exception("%s timer %s failed", job.kind, row.id)
            self._failed(job, f"{type(exc).__name__}: {exc}")
            return False
        return result is not None

    def _failed(self, job: Job, message: str) -> None:
        row = job.row
        log.warning("%s timer %s (%s) failed: %s", job.kind, row.id, row.element_id, message)
        if job.kind == "timer":
            self.engine.execute(RecordFailure(SYSTEM, "timer", row.id, message, row.element_id))
            return
        # A start has no instance to hang an incident on: back off, and stop after the last attempt.
        settings, attempts = self.engine.settings, row.attempts + 1
        until = self.engine.wall.now() + timedelta(seconds=settings.retry_backoff_seconds * 2 ** (attempts - 1))
        with self.engine.db.connect().execution_options(**WRITE) as conn, conn.begin():
            leases.park(conn, "start", row.id, attempts=attempts, error=message, until=until,
                        incident=attempts >= settings.max_attempts)
