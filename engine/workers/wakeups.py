"""Hearing, in a worker, that another process added due work (a thread per worker).

PostgreSQL: a dedicated connection (not from the pool) `LISTEN`s on the notice channel
(engine/db/notify.py) and waits on its socket; each notice is handed on as it arrives. A
broken connection (a server restart, `pg_terminate_backend`) is dropped, and the listener
reconnects with a growing pause (0.5 s up to 30 s); meanwhile the sweep finds the work.
After each (re)connection it asks for one read of the tables (notices sent while nobody
listened are lost). A link that died without a word shows at the next check query, one
per sweep period.

SQLite: no NOTIFY. The watcher keeps one connection and reads `PRAGMA data_version`
every POLL_SECONDS: the value changes when another connection committed, and reading it
costs about 3 µs (no transaction, no page read), so the worker re-reads the next due
time only after a commit. A local socket would wake it sooner, but every writer would
have to find every worker; 0.1 s of latency is well inside the 1 s promise.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from sqlalchemy.engine import Engine as SAEngine

from ..db import notify

log = logging.getLogger("diwan.worker.wakeups")

Parts = list[tuple[str, object]]
POLL_SECONDS = 0.1  # SQLite: how often data_version is read
WAIT_SECONDS = 1.0  # PostgreSQL: longest wait on the socket before looking at the stop flag
FIRST_PAUSE, LONGEST_PAUSE = 0.5, 30.0


class _Watcher:
    """A daemon thread that calls `on_wake(parts)` when other processes may have added work."""

    label = "wake-up"  # in its log lines
    meanwhile = "the sweep covers meanwhile"  # what stands in while it is not connected

    def __init__(self, db: SAEngine, on_wake: Callable[[Parts], None], *, name: str):
        self.db = db
        self.on_wake = on_wake
        self.name = name
        self.ready = threading.Event()  # set after the first connection attempt (either way)
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"diwan-wakeups-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        pause = FIRST_PAUSE
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:  # noqa: BLE001 - the database may be down: try again later
                log.warning("%s connection failed (%s); %s; retrying in %.1f s", self.label, exc, self.meanwhile,
                            pause)
                self.ready.set()
                self._stop.wait(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            pause = FIRST_PAUSE
            self.connected.set()
            self.ready.set()
            try:
                self._wake([(notify.REREAD, None)])  # what was committed while nobody listened
                self._watch(conn)
            except Exception as exc:  # noqa: BLE001 - a broken link: reconnect
                if not self._stop.is_set():
                    log.warning("%s connection lost (%s); %s; reconnecting", self.label, exc, self.meanwhile)
            finally:
                self.connected.clear()
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing what is already broken
                    pass
            self._stop.wait(pause)

    def _wake(self, parts: Parts) -> None:
        try:
            self.on_wake(parts)
        except Exception:  # noqa: BLE001 - a failed re-read waits for the next notice or the sweep
            log.exception("wake-up handling failed")

    def _connect(self):
        raise NotImplementedError

    def _watch(self, conn) -> None:
        raise NotImplementedError


class PostgresListener(_Watcher):
    """LISTEN on a connection of its own; hands on each notice's parts.

    `channel`: the wake-up channel by default; the identity channel for the token cache
    (engine/token_cache.py), whose notices carry no parts worth reading.
    """

    def __init__(self, db: SAEngine, on_wake: Callable[[Parts], None], *, name: str, check_seconds: float,
                 channel: str = notify.CHANNEL):
        super().__init__(db, on_wake, name=name)
        self.check_seconds = check_seconds
        self.channel = channel
        self.backend_pid: int | None = None

    def _connect(self):
        cargs, cparams = self.db.dialect.create_connect_args(self.db.url)
        conn = self.db.dialect.connect(*cargs, **{**cparams, "autocommit": True, "connect_timeout": 10,
                                                 "application_name": f"diwan-listen {self.name}"[:63]})
        conn.execute(f"LISTEN {self.channel}")
        self.backend_pid = conn.info.backend_pid
        return conn

    def _watch(self, conn) -> None:
        checked = time.monotonic()
        while not self._stop.is_set():
            for n in conn.notifies(timeout=WAIT_SECONDS):
                self._wake(notify.parse(n.payload))
            if time.monotonic() - checked >= self.check_seconds:
                conn.execute("SELECT 1")  # a link that died silently raises here
                checked = time.monotonic()


class SqliteWatcher(_Watcher):
    """Reads `PRAGMA data_version` every POLL_SECONDS; a change asks for a re-read."""

    def _connect(self):
        cargs, cparams = self.db.dialect.create_connect_args(self.db.url)
        conn = self.db.dialect.connect(*cargs, **cparams)
        conn.isolation_level = None  # autocommit: the pragma reads the latest commit
        self._seen = conn.execute("PRAGMA data_version").fetchone()[0]  # before the re-read that follows
        return conn

    def _watch(self, conn) -> None:
        seen = self._seen
        while not self._stop.wait(POLL_SECONDS):
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != seen:
                seen = version
                self._wake([(notify.REREAD, None)])


def watcher_for(db: SAEngine, on_wake: Callable[[Parts], None], *, name: str,
                check_seconds: float) -> _Watcher | None:
    """The watcher that fits the database (None for an in-memory SQLite: no other process)."""
    if db.dialect.name == "postgresql":
        return PostgresListener(db, on_wake, name=name, check_seconds=check_seconds)
    if db.dialect.name == "sqlite":
        database = db.url.database
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return None
        return SqliteWatcher(db, on_wake, name=name)
    return None
