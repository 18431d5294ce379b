"""Running the workers: APScheduler only wakes them (at the next due time, plus a periodic
sweep); the database is the truth, so a missed wake-up only delays work until the sweep."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from ..db import timers
from .outbox_worker import OutboxWorker
from .timer_worker import TimerWorker

log = logging.getLogger("diwan.worker")


class WorkerService:
    """Timer and outbox workers for one process, woken by APScheduler."""

    def __init__(self, engine):
        self.engine = engine
        self.timers = TimerWorker(engine)
        self.outbox = OutboxWorker(engine, owner=self.timers.owner)
        self._lock = threading.Lock()
        self._scheduler = None

    def run_once(self) -> int:
        """One pass: fire due timers and deliver pending outbox rows (never concurrently)."""
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            done = self.timers.drain() + self.outbox.drain()
            self.engine.checkpoint_if_due()  # signs the audit chain heads every audit_checkpoint_seconds
            return done
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("worker pass failed")
            return 0
        finally:
            self._lock.release()
            self._schedule_next()

    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self._scheduler = BackgroundScheduler(daemon=True)
        self._scheduler.add_job(self.run_once, "interval", seconds=self.engine.settings.sweep_seconds,
                                id="sweep", max_instances=1, coalesce=True)
        self._scheduler.start()
        self.run_once()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)

    def _schedule_next(self) -> None:
        """Wake up when the next timer falls due (on the wall clock; the sweep covers the rest)."""
        if self._scheduler is None:
            return
        with self.engine.db.connect() as conn:
            due = timers.earliest_free_due(conn)
        if due is None:
            return
        delay = max((due - self.engine.clock.now()).total_seconds(), 0.05)
        if delay < self.engine.settings.sweep_seconds:
            run_at = self.engine.wall.now() + timedelta(seconds=delay)
            self._scheduler.add_job(self.run_once, "date", run_date=run_at, id="next_due", replace_existing=True)
