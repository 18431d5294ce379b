"""Each thread keeps its connections: checking one out of the pool per command costs more
than a small command itself (pool events, reset on return, a Connection object).

A thread holds at most two (one for commands, whose SQLite transactions start with
`BEGIN IMMEDIATE`, one for reads), checked out on first use and kept until `close_all`.
A transaction that fails leaves its connection clean (rolled back); one whose database
link broke is dropped and the next use checks out a fresh one. A transaction opened
while the thread's connection is already in one (a read from inside a command, say)
gets a pool connection of its own. A process forked from one holding connections never
uses (nor closes) them: it checks out its own.
"""
from __future__ import annotations

import os
import threading
import weakref
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from .base import WRITE


class _Kept:
    """One thread's connections; returned to the pool when the thread ends (its local
    storage goes, and this with it) or the engine is disposed."""

    def __init__(self):
        self.read: Connection | None = None
        self.write: Connection | None = None
        self.pid = os.getpid()

    def close(self) -> None:
        if self.pid != os.getpid():  # inherited through fork: the parent's, not ours to close
            self.read = self.write = None
            return
        for slot in ("read", "write"):
            conn = getattr(self, slot)
            setattr(self, slot, None)
            if conn is not None:
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
        """One transaction on this thread's kept connection (a write one, or a read one)."""
        kept = self._kept()
        slot = "write" if write else "read"
        conn = getattr(kept, slot)
        if conn is not None and (conn.closed or conn.invalidated):
            self._drop(kept, slot)
            conn = None
        if conn is None:
            conn = self.db.connect()
            if write:
                conn = conn.execution_options(**WRITE)
            setattr(kept, slot, conn)
        elif conn.in_transaction():
            other = self.db.connect().execution_options(**WRITE) if write else self.db.connect()
            with other, other.begin():
                yield other
            return
        try:
            with conn.begin():
                yield conn
        except DBAPIError as exc:
            if exc.connection_invalidated:
                self._drop(kept, slot)
            raise

    def close_all(self) -> None:
        """Return every thread's kept connections to the pool (the engine is being disposed)."""
        with self._lock:
            every = list(self._every)
        for kept in every:
            kept.close()

    def _kept(self) -> _Kept:
        kept = getattr(self._local, "kept", None)
        if kept is None or kept.pid != os.getpid():
            kept = self._local.kept = _Kept()
            with self._lock:
                self._every.add(kept)
        return kept

    @staticmethod
    def _drop(kept: _Kept, slot: str) -> None:
        conn = getattr(kept, slot)
        setattr(kept, slot, None)
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
