"""Each thread keeps its connection: checking one out of the pool per command costs more
than a small command itself (pool events, reset on return, a Connection object).

A thread holds one connection, for its commands and its reads alike, checked out on first
use and kept until `close_all`. One, not one per kind: on SQLite a connection that sees
another connection's commit drops its whole page cache, so a read on a second connection
after every command would read its pages anew each time. A command's SQLite transaction
starts with `BEGIN IMMEDIATE` (it takes the write lock at once), a read's with a plain
`BEGIN`. A transaction that fails leaves the connection clean (rolled back); one that
cannot be ended, or whose database link broke, is dropped and the next use checks out a
fresh one. An idle PostgreSQL connection the server closed (a terminated backend, a
restart) is noticed before it is used, and replaced. A link that breaks during a
transaction, or a database that cannot be reached, raises `Unavailable` (db/failures.py
says which errors mean that). A transaction opened while the thread's
connection is already in one (a read from inside a command, say) gets a pool connection
of its own. A process forked
from one holding connections never uses (nor closes) them: it checks out its own.
"""
from __future__ import annotations

import select
import threading
import weakref
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.engine import Connection, Engine

from ..errors import DiwanError
from . import failures
from .base import READ, WRITE
from .process import current_pid


class _Kept:
    """One thread's connection; returned to the pool when the thread ends (its local
    storage goes, and this with it) or the engine is disposed."""

    def __init__(self):
        self.conn: Connection | None = None
        self.driver = None  # conn's DBAPI connection
        self.sqlite = False
        self.busy = False  # in a transaction
        self.pid = current_pid()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None or self.pid != current_pid():  # inherited through fork: the parent's, not ours to close
            return
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing what may already be broken
            pass

    def __del__(self):
        self.close()


def _went_away(driver) -> bool:
    """Whether an idle PostgreSQL connection is known to be gone: psycopg saw it break, or the
    server wrote to it unasked (the notice it sends when it terminates a backend, restarts or
    times a session out, then the end of the stream). One poll of the socket, no round trip."""
    if driver.closed:
        return True
    try:
        readable, _, _ = select.select([driver.fileno()], [], [], 0)
    except (OSError, ValueError):  # closed under us, or a descriptor select cannot watch
        return False
    return bool(readable)


class KeptConnections:
    def __init__(self, db: Engine):
        self.db = db
        self._local = threading.local()
        self._every: weakref.WeakSet[_Kept] = weakref.WeakSet()
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self, write: bool, single: bool = False) -> Iterator[Connection]:
        """One transaction on this thread's kept connection (a command's, or a read's).

        `single`: a read of one statement. It runs outside a transaction (a statement is its
        own snapshot): on PostgreSQL in autocommit, without the BEGIN and COMMIT round trips a
        transaction costs (a token check on every request took three more than its query), on
        SQLite without BEGIN.

        The kept connection's transaction is begun and ended on its driver connection:
        SQLAlchemy's transaction objects and events cost more than the transaction itself
        on the command path. Statements run through SQLAlchemy inside it join it (their
        autobegin issues no BEGIN: db/base.py), and SQLAlchemy's bookkeeping is closed
        with it.
        """
        kept = self._kept()
        conn = kept.conn
        if conn is not None and (conn.closed or conn.invalidated or (not kept.sqlite and _went_away(kept.driver))):
            self._drop(kept)  # broken since its last use: a fresh one, not an error for this caller
            conn = None
        if conn is None:
            with failures.reported_unavailable():
                conn = self.db.connect()
            kept.conn = conn
            kept.driver = conn.connection.driver_connection
            kept.sqlite = conn.dialect.name == "sqlite"
        elif kept.busy:  # a transaction inside another (a read from inside a command, say)
            with failures.reported_unavailable():
                other = self.db.connect().execution_options(**(WRITE if write else READ))
                with other, other.begin():
                    yield other
            return
        driver = kept.driver
        kept.busy = True
        alone = single and not write and not kept.sqlite  # PostgreSQL: in autocommit
        try:
            if kept.sqlite:
                if not (single and not write):  # a lone SELECT is its own read transaction
                    driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            elif alone:
                driver.autocommit = True  # no round trip: psycopg sends nothing until a statement
            yield conn
        except BaseException as exc:
            kept.busy = False
            try:
                self._end(kept, commit=False)
            except Exception:  # noqa: BLE001 - dropped there; the first error says what happened
                pass
            if alone:
                self._transactional(kept, driver)
            if not isinstance(exc, DiwanError) and failures.is_unavailable(exc):
                self._drop(kept)  # never reused: the next transaction gets a fresh connection
                raise failures.unavailable(exc) from exc
            raise
        kept.busy = False
        try:
            with failures.reported_unavailable():
                self._end(kept, commit=True)  # in autocommit: nothing to send
        finally:
            if alone:
                self._transactional(kept, driver)

    def _transactional(self, kept: _Kept, driver) -> None:
        """Leave autocommit (a `single` read's); a connection that cannot is dropped."""
        try:
            driver.autocommit = False
        except Exception:  # noqa: BLE001 - broken (or in a state psycopg refuses): not reused
            if kept.driver is driver:
                self._drop(kept)

    def _end(self, kept: _Kept, commit: bool) -> None:
        """Commit or roll back on the driver, then close SQLAlchemy's view of the transaction
        (begun when a statement went through it); a connection that fails there is dropped."""
        conn = kept.conn
        try:
            if commit:
                kept.driver.commit()
            else:
                kept.driver.rollback()
        except Exception:
            if commit:
                try:
                    kept.driver.rollback()
                except Exception:  # noqa: BLE001 - the link may be gone: dropped below
                    pass
            self._drop(kept)
            raise
        finally:
            if kept.conn is not None and conn.in_transaction():
                try:
                    conn.rollback()  # nothing left to undo: SQLAlchemy forgets its transaction
                except Exception:  # noqa: BLE001
                    self._drop(kept)

    def close_all(self) -> None:
        """Return every thread's kept connections to the pool (the engine is being disposed)."""
        with self._lock:
            every = list(self._every)
        for kept in every:
            kept.close()

    def _kept(self) -> _Kept:
        kept = getattr(self._local, "kept", None)
        if kept is None or kept.pid != current_pid():
            kept = self._local.kept = _Kept()
            with self._lock:
                self._every.add(kept)
        return kept

    @staticmethod
    def _drop(kept: _Kept) -> None:
        conn, kept.conn, kept.driver, kept.busy = kept.conn, None, None, False
        if conn is None:
            return
        try:
            conn.invalidate()  # its state is unknown: never back into the pool as it is
            conn.close()
        except Exception:  # noqa: BLE001
            pass
