"""Running the workers: a pass fires due timers and delivers pending outbox rows.

A pass runs at the planned wake-up (the next due time), when another process says it
added work (engine/workers/wakeups.py: PostgreSQL notices, SQLite's data_version), and at
every sweep (`DIWAN_SWEEP_SECONDS`). APScheduler runs them. The database is the truth: a
missed wake-up only delays work until the sweep.

Planning: after a pass the wake-up moves to the next due time read from the tables (it
may move later: the tables were just read). A notice only moves it earlier, and never
replaces a wake-up that is due but has not run yet. A notice heard while the tables are
being read is kept and counted in, so a row committed just after that read is not
planned away.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime

from ..clock import SystemClock
from ..db import notify, outbox, timers
from .outbox_worker import OutboxWorker
from .timer_worker import TimerWorker
from .wakeups import Parts, watcher_for

log = logging.getLogger("diwan.worker")


class WorkerService:
    """Timer and outbox workers for one process, run by APScheduler, woken by other processes."""

    def __init__(self, engine):
        self.engine = engine
        self.timers = TimerWorker(engine)
        self.outbox = OutboxWorker(engine, owner=self.timers.owner)
        self.wakeups = None
        self._scheduler = None
        self._pass = threading.Lock()  # one pass at a time
        self._again = threading.Event()  # work was announced during the running pass
        self._plan = threading.Lock()
        self._wake_at: datetime | None = None  # the planned wake-up (real time)
        self._heard: datetime | None = None  # the earliest due announced since the last re-read began

    def run_once(self) -> int:
        """Fire due timers and deliver pending outbox rows until none is left; returns how
        many. A call during another's pass makes that pass go round once more."""
        if not self._pass.acquire(blocking=False):
            self._again.set()
            return 0
        done = 0
        try:
            while True:
                self._again.clear()
                done += self.timers.drain() + self.outbox.drain()
                if not self._again.is_set():
                    break
            self.engine.checkpoint_if_due()  # signs the audit chain heads every audit_checkpoint_seconds
        except Exception:  # noqa: BLE001 - the next wake-up or sweep tries again
            log.exception("worker pass failed")
        finally:
            self._pass.release()
        self._plan_next()
        return done

    def start(self, listen_timeout: float = 10.0) -> None:
        """Start the sweep and the wake-up watcher (waiting up to `listen_timeout` for its first
        connection), then run a first pass."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        sweep = self.engine.settings.sweep_seconds
        # However late a wake-up runs, it runs (APScheduler drops a job over a second late by
        # default); one overlapping a pass only makes that pass go round again, so two
        # threads are enough (each thread keeps a database connection).
        self._scheduler = BackgroundScheduler(daemon=True, executors={"default": ThreadPoolExecutor(2)},
                                              job_defaults={"coalesce": True, "misfire_grace_time": None,
                                                            "max_instances": 3})
        self._scheduler.add_job(self.run_once, "interval", seconds=sweep, id="sweep")
        self._scheduler.start()
        self.wakeups = watcher_for(self.engine.db, self.wake, name=self.timers.owner, check_seconds=sweep)
        if self.wakeups is not None:
            self.wakeups.start()
            self.wakeups.ready.wait(listen_timeout)
        self.run_once()

    def stop(self) -> None:
        if self.wakeups is not None:
            self.wakeups.stop()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)

    def wake(self, parts: Parts) -> None:
        """Another process added work (a notice's parts): wake up at its due time if that is
        earlier than the planned wake-up."""
        at = None
        for kind, due in parts:
            if kind == notify.OUTBOX:
                when = self.engine.wall.now()
            elif kind == "t":
                when = self._to_wall(due)
            else:
                when = self._next_due()
            if when is not None:
                at = when if at is None else min(at, when)
        if at is None:
            return
        with self._plan:
            self._heard = at if self._heard is None else min(self._heard, at)
            if self._wake_at is not None and self._wake_at <= at:
                return  # the planned wake-up comes first (even if it is due and has not run yet)
            self._set_wake(at)

    def _plan_next(self) -> None:
        """After a pass: plan the wake-up at the next due time of the tables."""
        if self._scheduler is None:
            return
        with self._plan:
            self._heard = None
        try:
            at = self._next_due()
        except Exception:  # noqa: BLE001 - the database may be down: the sweep tries again
            log.exception("reading the next due time failed")
            with self._plan:
                self._wake_at = None  # nothing planned: the next notice plans
                if self._heard is not None:
                    self._set_wake(self._heard)
            return
        with self._plan:
            if self._heard is not None:
                at = self._heard if at is None else min(at, self._heard)
            self._set_wake(at)

    def _set_wake(self, at: datetime | None) -> None:
        """Plan the wake-up (under self._plan)."""
        self._wake_at = at
        if at is None:
            return
        self._scheduler.add_job(self._woken, "date", run_date=max(at, self.engine.wall.now()), id="next_due",
                                replace_existing=True)

    def _woken(self) -> None:
        """The planned wake-up: spent once it runs (until then, nothing later replaces it)."""
        with self._plan:
            self._wake_at = None
        self.run_once()

    def next_wake(self) -> datetime | None:
        """When the planned wake-up runs (real time), or None."""
        job = self._scheduler.get_job("next_due") if self._scheduler is not None else None
        return job.next_run_time if job is not None else None

    def _next_due(self) -> datetime | None:
        """When the next timer, timer start, retry or outbox delivery falls due (real time)."""
        with self.engine.db.connect() as conn:
            timer_due = timers.earliest_free_due(conn)
            retry_due = timers.earliest_retry(conn, self.engine.clock.now())
            outbox_due = outbox.earliest_due(conn)
        times = [t for t in (self._to_wall(timer_due) if timer_due else None, retry_due, outbox_due)
                 if t is not None]
        return min(times) if times else None

    def _to_wall(self, due: datetime) -> datetime:
        """An engine-clock instant on the real clock (they differ under a manual clock)."""
        clock = self.engine.clock
        if type(clock) is SystemClock:
            return due
        return self.engine.wall.now() + (due - clock.now())
