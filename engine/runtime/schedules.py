"""Schedules of timer start events: when a process starts next, by its start event's literal."""
from __future__ import annotations

from datetime import datetime

from ..definitions import literals
from .cron import next_cron
from .timer_events import add_duration, _nth, _to_utc


def occurrence(kind: str, value: str, origin: datetime, n: int, tz, previous: datetime | None = None) -> datetime | None:
    """When the n-th start (0-based) falls due, or None when the schedule is over.

    A date starts once at that date; a duration once, that long after the deployment; a
    cycle `R[k]/[start/]period` k times (forever without k), the n-th at start + n periods
    on the calendar (or deployment + (n+1) periods without a start); a Quartz cron cycle at its
    next instant after `previous` (the start that just fired, or now when later), or after the
    deployment for the first.
    """
    if kind == "timeCycle" and literals.looks_like_cron(value):
        return next_cron(value, previous if n and previous is not None else origin, tz)
    if kind == "timeDate":
        return _to_utc(value) if n == 0 else None
    if kind == "timeDuration":
        return add_duration(origin, value, tz) if n == 0 else None
    reps, start, period = literals.parse_cycle(value)
    if reps is not None and n >= reps:
        return None
    base, k = (_to_utc(start), n) if start else (origin, n + 1)
    return _nth({"origin": base.isoformat(), "duration": period, "k": k}, tz)
