"""Database errors sorted by what a caller should hear: a lost race (409) or an unavailable database (503).

The command path runs statements on the driver connection, so errors arrive both wrapped
by SQLAlchemy (`DBAPIError.orig`) and unwrapped (sqlite3's, psycopg's). Anything else (a
bad statement, a constraint we did not expect) is neither: it stays an internal error.

- A lost race: SQLite's lock beyond the busy timeout, unique and other integrity
  violations, PostgreSQL's serialization failures, deadlocks and lock timeouts.
- Unavailable: no connection could be made or it broke (server down, restarting, shut
  down by an administrator, network gone), the pool is exhausted, the server is out of
  resources or read-only, a statement timed out; SQLite's file cannot be opened, read,
  written or grown.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy.exc

from ..errors import DiwanError, Unavailable

try:
    import psycopg
except ImportError:  # pragma: no cover - installed with the project
    psycopg = None

RACE_TEXTS = ("database is locked", "unique", "duplicate key", "deadlock", "could not serialize", "busy")
SQLITE_UNAVAILABLE_TEXTS = ("unable to open database", "disk i/o error", "database or disk is full",
                            "readonly database")
# SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
PG_RACE_STATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
PG_UNAVAILABLE_CLASSES = ("08", "53", "57P")  # connection exception, insufficient resources, operator intervention
PG_UNAVAILABLE_STATES = {"25006", "57014", "58030"}  # read-only transaction, statement timeout, I/O error

DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlalchemy.exc.SQLAlchemyError, sqlite3.Error) + (
    (psycopg.Error,) if psycopg is not None else ())
"""The base classes of the errors SQLAlchemy and the drivers raise."""


def is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def _driver_error(exc: BaseException) -> BaseException:
    return getattr(exc, "orig", None) or exc


def is_race(exc: BaseException) -> bool:
    """A lock that could not be had or a concurrent writer that won: the caller may retry (409)."""
    if not is_database_error(exc):
        return False
    orig = _driver_error(exc)
    state = getattr(orig, "sqlstate", None)
    if state is not None and (state in PG_RACE_STATES or state.startswith("23")):
        return True
    if isinstance(orig, sqlite3.IntegrityError) or isinstance(exc, sqlalchemy.exc.IntegrityError):
        return True
    if psycopg is not None and isinstance(orig, psycopg.Error) and state is None:
        return False  # a connection-level error: its text may say anything
    text = str(orig).lower()
    return any(s in text for s in RACE_TEXTS)


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached, or cannot serve this now (503, retry later)."""
    if not is_database_error(exc) or is_race(exc):
        return False
    if isinstance(exc, sqlalchemy.exc.TimeoutError):  # the pool had no connection to give
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    orig = _driver_error(exc)
    if psycopg is not None and isinstance(orig, psycopg.Error):
        if isinstance(orig, psycopg.InterfaceError):  # "the connection is closed", "lost"
            return True
        state = getattr(orig, "sqlstate", None)
        if state is None:  # raised by libpq, not by the server: the connection failed or broke
            return isinstance(orig, psycopg.OperationalError)
        return state in PG_UNAVAILABLE_STATES or state.startswith(PG_UNAVAILABLE_CLASSES)
    if isinstance(orig, sqlite3.Error):
        text = str(orig).lower()
        return any(s in text for s in SQLITE_UNAVAILABLE_TEXTS)
    return False


def unavailable_cause(exc: BaseException) -> BaseException | None:
    """The database error behind `exc` (itself, or one it was raised from) that means the
    database is unavailable, or None."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, Unavailable) or is_unavailable(exc):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def unavailable(exc: BaseException) -> Unavailable:
    """The Unavailable error for a database failure (its detail is logged, not shown)."""
    return exc if isinstance(exc, Unavailable) else Unavailable(
        "The database is unavailable (down, restarting or unreachable): retry shortly.")


@contextmanager
def reported_unavailable() -> Iterator[None]:
    """Raise Unavailable (from the original) for database errors that mean the database is
    unavailable; every other error passes unchanged."""
    try:
        yield
    except DiwanError:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise unavailable(exc) from exc
        raise
