"""Each thread keeps its connection: checking one out of the pool per command costs more
than a small command itself (pool events, reset on return, a Connection object).

A thread holds one connection, for its commands and its reads alike, checked out on first
use and kept until `close_all`. One, not one per kind: on SQLite a connection that sees
another connection's commit drops its whole page cache, so a read on a second connection
after every command would read its pages anew each time. A command's SQLite transaction
starts with `BEGIN IMMEDIATE`, a read's with a plain `BEGIN` (db/base.py). A transaction
that fails leaves the connection clean (rolled back); one whose database link broke is
dropped and the next use checks out a fresh one. A transaction opened while the thread's
connection is already in one (a read from inside a command, say) gets a pool connection
of its own. A process forked from one holding connections never uses (nor closes) them:
it checks out its own.
"""
from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from .base import READ, TRANSACTION_KIND, WRITE
from .process import current_pid


class _Kept:
    """One thread's connection; returned to the pool when the thread ends (its local
    storage goes, and this with it) or the engine is disposed."""

    def __init__(self):
        self.conn: Connection | None = None
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


class KeptConnections:
    def __init__(self, db: Engine):
        self.db = db
        self._local = threading.local()
        self._every: weakref.WeakSet[_Kept] = weakref.WeakSet()
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Connection]:
        """One transaction on this thread's kept connection (a command's, or a read's)."""
        kept = self._kept()
        conn = kept.conn
        if conn is not None and (conn.closed or conn.invalidated):
            self._drop(kept)
            conn = None
        if conn is None:
            conn = kept.conn = self.db.connect()
        elif conn.in_transaction():
            other = self.db.connect().execution_options(**(WRITE if write else READ))
            with other, other.begin():
                yield other
            return
        setattr(conn, TRANSACTION_KIND, write)  # read by the `begin` listener (db/base.py)
        try:
            with conn.begin():
                yield conn
        except DBAPIError as exc:
            if exc.connection_invalidated:
                self._drop(kept)
            raise

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
        conn, kept.conn = kept.conn, None
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
