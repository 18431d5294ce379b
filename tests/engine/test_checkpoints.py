"""Background WAL checkpoints (engine/db/checkpoints.py)."""
from __future__ import annotations

import sqlite3

import pytest

from engine import Actor, Engine, EngineSettings
from engine.db.checkpoints import WalCheckpointer
from engine.engine import _wal_checkpointer
from tests.conftest import PG_URL, fixture_files
from tests.waiting import wait_for

CLERK = Actor("amina", groups=("clerks", "finance"), roles=("clerk",))
sqlite_only = pytest.mark.skipif(PG_URL is not None, reason="SQLite's WAL")


def _wal_state(path: str) -> tuple[int, int]:
    """(frames in the WAL, frames already copied into the database)."""
    conn = sqlite3.connect(path)
    try:
        # A PASSIVE checkpoint of nothing new reports the WAL's size and what is copied.
        _, log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log, copied
    finally:
        conn.close()


@sqlite_only
def test_commands_are_checkpointed_in_the_background(database_url, clock):
    engine = Engine(settings=EngineSettings(database_url=database_url), clock=clock)
    checkpointer = engine.checkpointer
    assert checkpointer is not None and checkpointer.every == 64
    checkpointer.every = 4
    try:
        engine.deploy(fixture_files("representative.bpmn"))
        for amount in range(6):
            engine.start("representative", {"amount": amount}, actor=CLERK)
        assert wait_for(lambda: checkpointer.checkpoints >= 1)
        thread = checkpointer._thread
        assert thread is not None and thread.daemon and thread.is_alive()
    finally:
        engine.dispose()
    assert not thread.is_alive()  # dispose stops it, after a last checkpoint
    log, copied = _wal_state(database_url.removeprefix("sqlite:///"))
    assert log == copied  # everything committed is in the database file


@sqlite_only
def test_quiet_commits_are_checkpointed_within_the_idle_delay(tmp_path):
    path = tmp_path / "quiet.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("create table t (x)")
    checkpointer = WalCheckpointer(str(path), every=1000, idle_seconds=0.05)
    try:
        conn.execute("insert into t values (1)")
        checkpointer.committed()  # one commit, far from `every`
        assert wait_for(lambda: checkpointer.checkpoints == 1)
        log, copied = _wal_state(str(path))
        assert log > 0 and log == copied
    finally:
        checkpointer.close()
        checkpointer.close()  # twice is harmless
        conn.close()


def test_only_sqlite_files_get_a_checkpointer(tmp_path):
    assert isinstance(_wal_checkpointer(f"sqlite:///{tmp_path}/x.db"), WalCheckpointer)
    assert _wal_checkpointer("sqlite://") is None
    assert _wal_checkpointer("sqlite:///:memory:") is None
    assert _wal_checkpointer("postgresql+psycopg://postgres@127.0.0.1:5432/diwan") is None
