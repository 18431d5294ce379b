"""Kept connections: one per thread, returned to the pool when the thread ends."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from engine.db.connections import KeptConnections
from engine.db.sql import Statement
from engine.db.sql import db as db_
from engine.db.base import WAL_AUTOCHECKPOINT_PAGES, create_db_engine
from tests.conftest import PG_URL


def _checked_out(db) -> int:
    return db.pool.checkedout()


@pytest.fixture
def pool(database_url):
    """A database engine and its kept connections; nothing may stay checked out after."""
    db = create_db_engine(database_url)
    kept = KeptConnections(db)
    yield db, kept
    kept.close_all()
    assert _checked_out(db) == 0
    db.dispose()


def test_a_thread_reuses_its_connection_and_returns_it_when_it_ends(pool):
    db, kept = pool
    seen = []

    def work():
        for _ in range(3):
            with kept.transaction(write=False) as conn:
                seen.append(conn)
                conn.execute(sa.text("select 1"))
        seen.append(_checked_out(db))

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
        t.join()
    assert all(n == 1 for n in seen if isinstance(n, int))  # one kept connection while a thread lived
    conns = [c for c in seen if not isinstance(c, int)]
    assert all(conns[i] is conns[i + 1] is conns[i + 2] for i in range(0, len(conns), 3))
    assert _checked_out(db) == 0  # 20 threads came and went: nothing leaked from the pool


def test_a_thread_reads_and_writes_on_one_connection(pool):
    db, kept = pool
    with kept.transaction(write=True) as command:
        command.execute(sa.text("select 1"))
    with kept.transaction(write=False) as read:
        read.execute(sa.text("select 1"))
    assert read is command
    assert _checked_out(db) == 1


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's BEGIN kinds")
def test_a_command_takes_the_write_lock_at_once_and_a_read_never(pool, database_url):
    import sqlite3

    db, kept = pool
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)

    def other_may_write() -> bool:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # database is locked
            return False
        other.execute("ROLLBACK")
        return True

    try:
        for _ in range(2):  # the same connection, switching kinds
            with kept.transaction(write=False):
                assert other_may_write()
            with kept.transaction(write=True):
                assert not other_may_write()  # BEGIN IMMEDIATE: locked before any statement
    finally:
        other.close()


def test_a_failed_transaction_rolls_back_and_the_connection_stays_usable(pool):
    db, kept = pool
    try:
        with kept.transaction(write=True) as conn:
            conn.execute(sa.text("insert into deployment (id, deployed_at, deployed_by) "
                                 "values ('d1', '2026-01-01 00:00:00.000000', 'x')"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with kept.transaction(write=False) as conn:
        assert conn.execute(sa.text("select count(*) from deployment")).scalar_one() == 0


def test_a_transaction_inside_another_gets_its_own_connection(pool):
    db, kept = pool
    count = sa.text("select count(*) from deployment")
    with kept.transaction(write=True) as outer:
        outer.execute(sa.text("insert into deployment (id, deployed_at, deployed_by) "
                              "values ('d1', '2026-01-01 00:00:00.000000', 'x')"))
        with kept.transaction(write=False) as inner:
            assert inner is not outer
            assert inner.execute(count).scalar_one() == 0  # outer's row is not committed yet
        assert outer.execute(count).scalar_one() == 1  # outer's transaction goes on
    with kept.transaction(write=False) as after:
        assert after is outer and after.execute(count).scalar_one() == 1


def test_statements_through_sqlalchemy_join_the_transaction_and_roll_back_with_it(pool):
    db, kept = pool
    count = sa.text("select count(*) from deployment")
    for _ in range(2):  # and the connection is clean afterwards, each time
        try:
            with kept.transaction(write=True) as conn:
                conn.execute(sa.text("insert into deployment (id, deployed_at, deployed_by) "
                                     "values ('d1', '2026-01-01 00:00:00.000000', 'x')"))
                assert conn.execute(count).scalar_one() == 1
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert not conn.in_transaction()
    with kept.transaction(write=False) as conn:
        assert conn.execute(count).scalar_one() == 0


def test_a_broken_connection_is_replaced(pool):
    db, kept = pool
    with kept.transaction(write=False) as first:
        first.execute(sa.text("select 1"))
    first.invalidate()
    with kept.transaction(write=False) as second:
        assert second is not first
        assert second.execute(sa.text("select 1")).scalar_one() == 1


def test_a_forked_process_checks_out_its_own_connection(pool):
    import os

    db, kept = pool
    with kept.transaction(write=False) as parent_conn:
        parent_conn.execute(sa.text("select 1"))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a fresh connection, and the parent's left alone
        ok = False
        try:
            db.dispose(close=False)
            with kept.transaction(write=False) as child_conn:
                ok = child_conn is not parent_conn and child_conn.execute(sa.text("select 1")).scalar_one() == 1
        finally:
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    with kept.transaction(write=False) as again:
        assert again is parent_conn and again.execute(sa.text("select 1")).scalar_one() == 1


@pytest.mark.skipif(PG_URL is not None, reason="SQLite connection settings")
@pytest.mark.parametrize("synchronous,expected", [("NORMAL", 1), ("FULL", 2)])
def test_sqlite_connections_are_set_up_for_a_server(database_url, synchronous, expected):
    db = create_db_engine(database_url, sqlite_synchronous=synchronous)
    try:
        with db.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == expected
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 30000
            assert pragma("wal_autocheckpoint") == WAL_AUTOCHECKPOINT_PAGES == 10_000
    finally:
        db.dispose()


def test_an_unknown_synchronous_mode_is_refused():
    with pytest.raises(ValueError, match="DIWAN_SQLITE_SYNCHRONOUS"):
        create_db_engine("sqlite://", sqlite_synchronous="SOMETIMES")


def test_the_process_id_is_known_without_asking_and_follows_a_fork():
    import os

    from engine.db.process import current_pid

    assert current_pid() == os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, b"1" if current_pid() == os.getpid() != os.getppid() else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"


@pytest.mark.skipif(PG_URL is None, reason="PostgreSQL's transactions")
def test_a_single_statement_read_runs_outside_a_transaction_on_postgresql(pool):
    from psycopg.pq import TransactionStatus

    db, kept = pool
    with kept.transaction(write=False, single=True) as conn:
        driver = conn.connection.driver_connection
        conn.exec_driver_sql("select 1")
        assert driver.info.transaction_status == TransactionStatus.IDLE  # no BEGIN was sent
    assert driver.autocommit is False
    with pytest.raises(sa.exc.ProgrammingError):
        with kept.transaction(write=False, single=True) as conn:
            conn.exec_driver_sql("select * from no_such_table")
    with kept.transaction(write=True) as conn:  # back to transactions, on the same connection
        assert conn.connection.driver_connection is driver and driver.autocommit is False
        conn.exec_driver_sql("select 1")
        assert driver.info.transaction_status == TransactionStatus.INTRANS


def test_a_single_statement_read_sees_committed_rows(pool):
    db, kept = pool
    with kept.transaction(write=True) as conn:  # a temporary table: the test database is shared
        conn.exec_driver_sql("create temporary table single_read (n integer)")
        conn.exec_driver_sql("insert into single_read values (1)")
    with kept.transaction(write=False, single=True) as conn:  # the same kept connection sees it
        assert [r.n for r in db_(conn).all(Statement("select n from single_read"))] == [1]
        driver = conn.connection.driver_connection
        if hasattr(driver, "in_transaction"):  # SQLite: the engine's statement opened no transaction
            assert not driver.in_transaction
    with kept.transaction(write=True) as conn:
        conn.exec_driver_sql("drop table single_read")
