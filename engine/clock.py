"""Clocks: the only place in diwan that asks for the current time."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    """Gives the engine's notion of "now" (aware, UTC)."""

    def now(self) -> datetime:  # pragma: no cover - interface
        raise NotImplementedError


class SystemClock(Clock):
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock(Clock):
    """A clock that only moves when told to (tests, demos, `DIWAN_CLOCK=manual`).

    It never goes back: `set` and `advance` refuse to move it backwards.
    """

    def __init__(self, start: datetime | None = None):
        self._now = (start or datetime.now(timezone.utc)).astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("the time needs a UTC offset")
        with self._lock:
            when = when.astimezone(timezone.utc)
            if when < self._now:
                raise ValueError("the clock never goes back")
            self._now = when
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock never goes back")
        with self._lock:
            self._now = self._now + delta
            return self._now

