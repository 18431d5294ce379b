"""SQLite WAL checkpoints in a background thread, off the command path.

With `synchronous=NORMAL` a commit only appends to the WAL; the disk waits come at a
checkpoint, which copies the WAL into the database file and syncs both. SQLite runs one
inside whichever commit pushes the WAL past its threshold, so that command waits for the
disk. Here a thread of the engine's own checkpoints (PASSIVE: it never blocks readers or
the writer) every `every` commits and at least once a second while commits come, so a
command rarely finds much left to copy; SQLite's own threshold (db/base.py) stays as the
bound on the WAL's size should the thread fall behind. A checkpoint that copied
everything lets the next writer start the WAL over.

Durability is SQLite's `synchronous=NORMAL` either way (a commit is on disk at the next
checkpoint or WAL sync); the thread only changes who waits for it. One per engine and
process: a process forked from one with a running thread starts its own on its first
commit.
"""
from __future__ import annotations

import logging
import sqlite3
import threading

from .process import current_pid

log = logging.getLogger("diwan.checkpoints")


class WalCheckpointer:
    """Checkpoints the SQLite database at `path` in a daemon thread.

    Args:
        path: the database file.
        every: commits between two checkpoints.
        idle_seconds: the longest wait before checkpointing commits that came.
    """

    def __init__(self, path: str, every: int = 64, idle_seconds: float = 1.0):
        self.path = path
        self.every = every
        self.idle_seconds = idle_seconds
        self.checkpoints = 0  # how many ran (tests, metrics)
        self._pending = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def committed(self) -> None:
        """A write transaction committed (called after each command)."""
        if self._pid != current_pid():
            self._start()
        self._pending += 1  # a lost increment under a race only delays a checkpoint
        if self._pending >= self.every:
            self._wake.set()

    def close(self) -> None:
        """Stop the thread (after a last checkpoint of what is pending)."""
        thread = self._thread
        if thread is None or self._pid != current_pid():
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout=30)
        self._thread = None

    def _start(self) -> None:
        with self._lock:
            if self._pid == current_pid():
                return
            self._stop = threading.Event()
            self._wake = threading.Event()
            self._pending = 0
            self._thread = threading.Thread(target=self._run, name="diwan-wal-checkpoint", daemon=True)
            self._pid = current_pid()
            self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wake.wait(self.idle_seconds)
                self._wake.clear()
                stopping = self._stop.is_set()
                if self._pending:
                    self._pending = 0
                    self._checkpoint(conn)
                if stopping:
                    return
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:  # busy, or the file went away: the next one catches up
            log.warning("WAL checkpoint failed: %s", exc)
