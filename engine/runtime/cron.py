"""Quartz cron cycles (Camunda's `timeCycle` flavour) on the calendar of the engine's zone.

literals.quartz_cron translates and checks the expression at deploy; here croniter walks the
calendar in local wall-clock time of DIWAN_TIMEZONE, and each wall-clock instant is placed in
the zone: across a daylight-saving change a daily 09:00 stays at 09:00 local time; a time that
the spring change skips (02:30) falls due when the clock shows it an hour on (03:30, the
offset before the change applied, as Quartz's lenient calendar does); a time the autumn change
repeats falls due once, the first time.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from croniter import croniter

from ..definitions.literals import quartz_cron


def next_cron(expression: str, after: datetime, tz) -> datetime | None:
    """The first instant (UTC) strictly after `after` at which the Quartz expression falls due;
    None when it never will again (a year field in the past)."""
    local = after.astimezone(tz).replace(tzinfo=None)
    # Start an hour early: after the autumn change the wall clock repeats an hour, and an
    # occurrence in it must not be lost; the loop below skips whatever is not after `after`.
    walk = croniter(quartz_cron(expression), local - timedelta(hours=1), second_at_beginning=True,
                    max_years_between_matches=8)
    for _ in range(10_000):
        try:
            wall = walk.get_next(datetime)
        except Exception:  # noqa: BLE001 - croniter says "no more matches" in several ways
            return None
        instant = wall.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
        if instant > after:
            return instant
    return None  # pragma: no cover - a valid expression finds an occurrence within the first hour's matches
