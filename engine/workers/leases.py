"""Claiming due work (timers, outbox rows) under a lease, on one database or many workers.

One statement claims a batch: a conditional `UPDATE ... RETURNING` over due rows whose
lease is free or expired; on PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`,
so concurrent workers never wait for, nor take, each other's rows. A worker that dies
leaves leases that expire; another worker then claims those rows again. Leases count in
real time (a worker's life), due times in engine time (the process's clock).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..db.outbox import outbox
from ..db.timers import BACKOFF, process_timer, timer

# Rows parked by a failure carry these owners (BACKOFF, or INCIDENT): not claimable until
# the lease moment.
INCIDENT = "incident"


def _claim(conn: Connection, table, due_column, *, owner: str, due_before: datetime, wall: datetime,
           lease: timedelta, limit: int, extra=()) -> list[sa.Row]:
    free = sa.or_(table.c.lease_expires_at.is_(None), table.c.lease_expires_at < wall)
    candidates = (sa.select(table.c.id).where(due_column <= due_before, free, *extra)
                  .order_by(due_column, table.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    stmt = (sa.update(table).where(table.c.id.in_(candidates.scalar_subquery()), free)
            .values(lease_owner=owner, lease_expires_at=wall + lease)
            .returning(*table.c))
    return list(conn.execute(stmt))


def claim_timers(conn: Connection, *, owner: str, now: datetime, wall: datetime, lease: timedelta,
                 limit: int) -> list[sa.Row]:
    """Claim up to `limit` timers due at engine time `now`, earliest first."""
    return sorted(_claim(conn, timer, timer.c.due_at, owner=owner, due_before=now, wall=wall, lease=lease,
                         limit=limit), key=lambda r: (r.due_at, r.id))


def claim_start_timers(conn: Connection, *, owner: str, now: datetime, wall: datetime, lease: timedelta,
                       limit: int) -> list[sa.Row]:
    """Claim up to `limit` timer start events due at engine time `now`."""
    return sorted(_claim(conn, process_timer, process_timer.c.due_at, owner=owner, due_before=now, wall=wall,
                         lease=lease, limit=limit), key=lambda r: (r.due_at, r.id))


def claim_outbox(conn: Connection, *, owner: str, wall: datetime, lease: timedelta, limit: int) -> list[sa.Row]:
    """Claim up to `limit` pending outbox rows whose next attempt is due."""
    return sorted(_claim(conn, outbox, outbox.c.next_attempt_at, owner=owner, due_before=wall, wall=wall, lease=lease, limit=limit,
                         extra=(outbox.c.status == "pending",)), key=lambda r: (r.created_at, r.id))


def _table(kind: str):
    return {"timer": timer, "start": process_timer}[kind]


def release(conn: Connection, kind: str, row_id: str, owner: str) -> None:
    """Give a claimed timer back at once (a concurrent command won: try again soon)."""
    table = _table(kind)
    conn.execute(sa.update(table).where(table.c.id == row_id, table.c.lease_owner == owner)
                 .values(lease_owner=None, lease_expires_at=None))


def park(conn: Connection, kind: str, row_id: str, *, attempts: int, error: str, until: datetime,
         incident: bool) -> None:
    """Record a failed firing: retry after `until`, or park it behind an incident."""
    table = _table(kind)
    conn.execute(sa.update(table).where(table.c.id == row_id).values(
        attempts=attempts, last_error=error, lease_owner=INCIDENT if incident else BACKOFF,
        lease_expires_at=datetime.max.replace(tzinfo=until.tzinfo) if incident else until))
