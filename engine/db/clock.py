"""Table `engine_clock` and StoredClock: the manual clock shared by every process (`DIWAN_CLOCK=manual`)."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine as SAEngine

from ..clock import Clock
from .base import Timestamp, metadata

engine_clock = sa.Table(
    "engine_clock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("now", Timestamp, nullable=False),
)

SELECT = sa.select(engine_clock.c.now).where(engine_clock.c.id == 1)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class StoredClock(Clock):
    """A manual clock kept in the database, so every server and worker sees the same time.

    It starts at the real time, moves only forward, and only when told to (`set`).
    """

    def __init__(self, db: SAEngine):
        self._db = db

    def now(self) -> datetime:
        with self._db.connect() as conn:
            value = conn.execute(SELECT).scalar()
        if value is None:
            return self._initialise()
        return _utc(value)

    def _initialise(self) -> datetime:
        start = datetime.now(timezone.utc)
        with self._db.begin() as conn:
            if conn.execute(SELECT).scalar() is None:
                conn.execute(sa.insert(engine_clock).values(id=1, now=start))
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Move the clock forward to `when` (never back: ValueError)."""
        when = _utc(when)
        current = self.now()
        if when < current:
            raise ValueError("the clock never goes back")
        with self._db.begin() as conn:
            conn.execute(sa.update(engine_clock).where(engine_clock.c.id == 1, engine_clock.c.now <= when)
                         .values(now=when))
        return self.now()
