"""The bearer-token cache (engine/token_cache.py): on PostgreSQL a process reuses its token
checks until it hears of a change (its own at once, another process's by NOTIFY), never
while it cannot hear, never past the token's expiry or the cache's TTL."""
from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from engine import Engine, EngineSettings, ManualClock
from engine.db.users import api_token, identity_changed
from engine.identity import UserStore, hash_token
from tests.conftest import PG_URL
from tests.waiting import wait_for

pg_only = pytest.mark.skipif(PG_URL is None, reason="the token cache is PostgreSQL's")


@contextmanager
def _engine(url: str, **settings):
    engine = Engine(settings=EngineSettings(database_url=url, **settings))
    try:
        yield engine
    finally:
        engine.dispose()


def _store(engine: Engine, clock=None) -> UserStore:
    return UserStore(engine.db, kept=engine.kept, cache=engine.token_cache, clock=clock)


def _listening(store: UserStore, token: str) -> None:
    """Check `token` until the cache keeps the check (the first check starts its listener;
    until that is connected, and emptied the cache once, nothing is kept)."""
    def kept() -> bool:
        assert store.resolve(token) is not None
        return store.cache.get(hash_token(token), store.clock.now()) is not None

    assert wait_for(kept, 15), "the token cache's listener never connected"


def _revoke_behind_our_back(engine: Engine, token: str) -> None:
    """A revocation no notice tells of (a table edited by hand)."""
    with engine.db.begin() as conn:
        conn.execute(sa.update(api_token).where(api_token.c.token_hash == hash_token(token))
                     .values(revoked_at=datetime.now(timezone.utc)))


@pytest.fixture
def two(database_url):
    """Two engines on one database, as two serving processes would have."""
    if not PG_URL:
        pytest.skip("the token cache is PostgreSQL's")
    with _engine(database_url) as a, _engine(database_url) as b:
        yield a, b


@pytest.fixture
def amina(two):
    a, _ = two
    store = _store(a)
    store.create_user("amina", "amina-password", ["clerk"], ["clerks"])
    token = store.login("amina", "amina-password").token
    _listening(store, token)
    return store, token


def test_sqlite_or_turned_off__no_cache(database_url):
    with _engine(database_url, token_cache_seconds=0) as engine:
        assert engine.token_cache is None
    with _engine(database_url) as engine:
        assert (engine.token_cache is not None) == database_url.startswith("postgresql")


@pg_only
def test_check__reused_until_a_notice_says_identities_changed(two, amina):
    a, b = two
    store, token = amina
    _revoke_behind_our_back(b, token)
    assert store.resolve(token).username == "amina", "a repeated check reads the cache, not the table"
    with b.db.begin() as conn:  # any writer of identities sends this in its transaction
        identity_changed(conn)
    assert wait_for(lambda: store.resolve(token) is None)


@pg_only
def test_changes_in_another_process__heard_there(two, amina):
    a, b = two
    store, token = amina
    b.update_user("amina", groups=["clerks", "finance"])
    assert wait_for(lambda: store.resolve(token).groups == ("clerks", "finance"))
    assert _store(b).revoke(token)
    assert wait_for(lambda: store.resolve(token) is None)


@pg_only
def test_changes_in_this_process__seen_by_the_next_check(two, amina):
    a, _ = two
    store, token = amina
    a.update_user("amina", roles=["clerk", "designer"])
    assert store.resolve(token).roles == ("clerk", "designer")  # no wait for the notice
    store.set_language("amina", "ar")
    assert store.resolve(token).language == "ar"
    assert store.revoke(token)
    assert store.resolve(token) is None


@pg_only
def test_expired_token__not_served_from_the_cache(two):
    a, _ = two
    clock = ManualClock(datetime.now(timezone.utc))
    store = _store(a, clock)
    store.create_user("karim", "karim-password", ["clerk"])
    token = store.login("karim", "karim-password").token
    _listening(store, token)
    clock.advance(timedelta(hours=12, seconds=1))
    assert store.resolve(token) is None


@pg_only
def test_ttl__bounds_a_change_nobody_told(database_url):
    with _engine(database_url, token_cache_seconds=0.5) as engine:
        store = _store(engine)
        store.create_user("salma", "salma-password", ["clerk"])
        token = store.login("salma", "salma-password").token
        _listening(store, token)
        _revoke_behind_our_back(engine, token)
        assert store.resolve(token) is not None
        time.sleep(0.6)
        assert store.resolve(token) is None


@pg_only
def test_listener_link_killed__cache_unused_then_starts_over_empty(two, amina):
    a, b = two
    store, token = amina
    listener = store.cache.listener
    old_pid = listener.backend_pid
    with b.db.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": old_pid}).scalar()
    _revoke_behind_our_back(b, token)  # while (most likely) nobody listens: its notice would be lost
    assert wait_for(lambda: listener.backend_pid != old_pid and listener.connected.is_set(), 20)
    assert store.resolve(token) is None


@pg_only
def test_check_that_read_before_a_change__not_kept(two, amina):
    _, _ = two
    store, token = amina
    cache = store.cache
    key = hash_token(token)
    view = cache.get(key, datetime.now(timezone.utc))
    assert view is not None
    generation = cache.generation
    cache.clear()  # a change heard while the check's query ran
    cache.put(key, view, datetime.now(timezone.utc) + timedelta(hours=1), generation)
    assert cache.get(key, datetime.now(timezone.utc)) is None
