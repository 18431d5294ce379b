"""Bearer tokens checked recently, kept per process on PostgreSQL: a token check without its query.

Every API request checks its token; on PostgreSQL that check is a round trip and a join,
about a tenth of an API instance's CPU in the serving processes and the database together
(bench/api_throughput.py, paired runs, 2026-12-07). The cache keeps what a check found (the
user with roles, groups and language, and the token's expiry) for `ttl_seconds` at most,
and only while it hears of the changes:

- Every write that changes what a token check finds (a token revoked, a user disabled,
  their roles, groups, language or password changed) sends a notice on
  `users.IDENTITY_CHANNEL` in its transaction (engine/db/users.py). PostgreSQL delivers it
  at commit to every process's listener, which empties that process's cache. The process
  that wrote also empties its own as soon as it committed (`clear`), without waiting for
  its notice.
- While the listener is not connected (not yet started, its link broken, the server
  restarted) the cache is neither read nor filled: every check reads the database. It
  starts empty at each (re)connection, since notices sent while nobody listened are lost.
- A check that read the database before a change and ends after the cache was emptied
  does not keep what it read (the generation it started under is gone).
- An entry is used only while its token is live by the caller's clock, and for
  `ttl_seconds` of real time at most: the bound on what no notice tells (a table edited by
  hand, a link that died silently, found at the listener's next check).

SQLite has no NOTIFY and its token check costs no round trip: no cache there.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine as SAEngine

from .db import users
from .db.process import current_pid
from .workers.wakeups import PostgresListener

if TYPE_CHECKING:
    from .identity import UserView

MAX_ENTRIES = 10_000  # a bound, not an eviction policy: past it, the cache starts over
CHECK_SECONDS = 10.0  # how often the listener proves its link alive when no notice comes


class TokenCache:
    """The token checks of one process, by token hash.

    Args:
        db: the engine's database (PostgreSQL).
        ttl_seconds: the longest an entry is used.
    """

    def __init__(self, db: SAEngine, ttl_seconds: float, *, check_seconds: float = CHECK_SECONDS):
        self.db = db
        self.ttl_seconds = ttl_seconds
        self.check_seconds = check_seconds
        self.generation = 0
        self._entries: dict[str, tuple[UserView, datetime, float]] = {}
        self._lock = threading.Lock()
        self._listener: _IdentityListener | None = None
        self._pid: int | None = None

    @property
    def listener(self) -> PostgresListener | None:
        """This process's listener, None before the first check (tests, metrics)."""
        return self._listener if self._pid == current_pid() else None

    def get(self, token_hash: str, now: datetime) -> UserView | None:
        """The user a live token `token_hash` belonged to when last checked; None: check it."""
        listener = self._listening()
        if listener is None or not listener.connected.is_set():
            return None
        hit = self._entries.get(token_hash)
        if hit is None:
            return None
        view, expires_at, deadline = hit
        if now >= expires_at or time.monotonic() >= deadline:
            self._entries.pop(token_hash, None)
            return None
        return view

    def put(self, token_hash: str, view: UserView, expires_at: datetime, generation: int) -> None:
        """Keep a check's result, unless the cache was emptied since `generation` was read
        (before the check's query) or nobody listens for changes now."""
        listener = self._listener
        with self._lock:
            if generation != self.generation or listener is None or not listener.connected.is_set():
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {}
            self._entries[token_hash] = (view, expires_at, time.monotonic() + self.ttl_seconds)

    def clear(self) -> None:
        """Forget every entry (an identity changed, or may have while nobody listened)."""
        with self._lock:
            self.generation += 1
            self._entries = {}

    def close(self) -> None:
        """Stop this process's listener."""
        listener = self._listener
        if listener is not None and self._pid == current_pid():
            listener.stop()
        self._listener = None
        self.clear()

    def _listening(self) -> _IdentityListener | None:
        """This process's listener, started on first use (a forked process starts its own)."""
        if self._pid == current_pid():
            return self._listener
        with self._lock:
            if self._pid != current_pid():
                self._entries = {}
                self.generation += 1
                self._listener = _IdentityListener(self)
                self._listener.start()
                self._pid = current_pid()
        return self._listener


class _IdentityListener(PostgresListener):
    """LISTENs on the identity channel; each notice (and each connection) empties the cache."""

    label = "token cache"
    meanwhile = "token checks read the database meanwhile"

    def __init__(self, cache: TokenCache):
        super().__init__(cache.db, lambda _parts: cache.clear(), name="tokens", check_seconds=cache.check_seconds,
                         channel=users.IDENTITY_CHANNEL)
        self.cache = cache

    def _connect(self):
        conn = super()._connect()
        # Before `connected` is set (the cache is not filled until then): what it held was
        # not covered by this connection's LISTEN.
        self.cache.clear()
        return conn
