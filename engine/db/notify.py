"""Wake-up notices to the workers of other processes: PostgreSQL `NOTIFY` on one channel.

A notice is sent inside the transaction that adds due work, so PostgreSQL delivers it at
commit, after the rows are visible, and drops it on rollback. Its payload is tiny:

- `t<epoch>`: a timer (or timer start) falls due at that engine-clock instant;
- `o`: outbox rows are pending now;
- `r`: something became claimable again: read the next due time from the tables.

A command may send `o t<epoch>` (both). A timer due further ahead than twice the sweep
sends nothing: every worker's sweep reads the next due time well before it (the sweep is
`DIWAN_SWEEP_SECONDS`; keep the workers' no longer than the servers'), so most timers of
real processes (days, hours) cost no notice at all.

SQLite has no NOTIFY; its workers watch `PRAGMA data_version` (engine/workers/wakeups.py),
so nothing is sent here on SQLite.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Connection

from .sql import Statement, db

CHANNEL = "diwan_wake"
_NOTIFY = Statement(f"SELECT pg_notify('{CHANNEL}', :payload)")
OUTBOX = "o"
REREAD = "r"


def work_added(conn: Connection, now: datetime, sweep_seconds: float, *, timer_due: datetime | None = None,
               outbox: bool = False) -> None:
    """Tell the workers of other processes, at commit, about work this transaction added.

    Args:
        now: the command's engine time.
        sweep_seconds: the sweep period; a timer due later than twice that is left to the sweep.
        timer_due: the earliest due time (engine clock) of the timers it created or moved.
        outbox: whether it wrote outbox rows (due at once).
    """
    if conn.dialect.name != "postgresql":
        return
    parts = [OUTBOX] if outbox else []
    if timer_due is not None and timer_due <= now + timedelta(seconds=2 * sweep_seconds):
        parts.append(_timer_part(timer_due))
    if parts:
        send(conn, " ".join(parts))


def timer_due(conn: Connection, due: datetime) -> None:
    """A timer start (or any timer) falls due at `due` (engine clock)."""
    if conn.dialect.name == "postgresql":
        send(conn, _timer_part(due))


def reread(conn: Connection) -> None:
    """Parked work became claimable again (an incident retried): workers read the tables."""
    if conn.dialect.name == "postgresql":
        send(conn, REREAD)


def outbox_due(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        send(conn, OUTBOX)


def send(conn: Connection, payload: str) -> None:
    db(conn).execute(_NOTIFY, {"payload": payload})


def _timer_part(due: datetime) -> str:
    return f"t{due.timestamp():.6f}"


def parse(payload: str) -> list[tuple[str, datetime | None]]:
    """A notice's parts: (`t`, due) for a timer, (`o`, None), (`r`, None); anything else
    (a notice from a newer or foreign sender) counts as `r`."""
    parts: list[tuple[str, datetime | None]] = []
    for part in payload.split():
        if part == OUTBOX:
            parts.append((OUTBOX, None))
        elif part.startswith("t"):
            try:
                parts.append(("t", datetime.fromtimestamp(float(part[1:]), timezone.utc)))
            except (ValueError, OverflowError, OSError):
                parts.append((REREAD, None))
        else:
            parts.append((REREAD, None))
    return parts or [(REREAD, None)]
